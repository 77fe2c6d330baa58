using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace Portal.Core.Tiers;

/// <summary>A k-means result: centroids and each row's cluster.</summary>
/// <param name="K">Number of clusters (≤ the requested k when there are fewer rows).</param>
/// <param name="Dimensions">d.</param>
/// <param name="Centroids">K × d floats, row-major.</param>
/// <param name="Assignments">Cluster 0..K−1 of each input row (nearest centroid by squared Euclidean distance, ties to the lower cluster).</param>
public sealed record KMeansResult(int K, int Dimensions, float[] Centroids, int[] Assignments);

/// <summary>
/// k-means through ML.NET's <see cref="KMeansTrainer"/> (k-means++ initialisation, Arthur and Vassilvitskii, SODA
/// 2007; one thread and a fixed seed, so a re-run on the same rows gives the same clusters), and the mean
/// silhouette (Rousseeuw, "Silhouettes: a graphical aid to the interpretation and validation of cluster analysis",
/// J. Comput. Appl. Math. 20, 1987) to choose k.
/// </summary>
public static class KMeansClustering
{
    private sealed class Row
    {
        public float[] Features { get; set; } = [];
    }

    /// <summary>Clusters <paramref name="rows"/> into <paramref name="k"/> groups.</summary>
    /// <param name="rows">n × d floats, row-major (n ≥ 1).</param>
    /// <param name="dimensions">d ≥ 1.</param>
    /// <param name="k">Requested clusters ≥ 1 (capped at n).</param>
    /// <param name="seed">Random seed of the initialisation.</param>
    /// <param name="cosine">
    /// For unit-length rows (text vectors): assign each row to the centroid of highest cosine instead of the nearest
    /// one (the assignment step of spherical k-means, Dhillon and Modha, Machine Learning 42, 2001). With sparse,
    /// high-dimensional vectors a mixed cluster's centroid has a small norm and is the Euclidean-nearest centroid of
    /// nearly every unrelated row, which makes one giant cluster; cosine removes that pull.
    /// </param>
    /// <exception cref="ArgumentException">The length is not n × d, or n = 0.</exception>
    public static KMeansResult Fit(float[] rows, int dimensions, int k, int seed = 42, bool cosine = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (rows.Length == 0 || rows.Length % dimensions != 0)
            throw new ArgumentException($"k-means: {rows.Length} floats are not n × {dimensions} with n ≥ 1.", nameof(rows));
        var n = rows.Length / dimensions;
        k = Math.Min(k, n);
        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimensions);
        var data = new List<Row>(n);
        for (var i = 0; i < n; i++) data.Add(new Row { Features = rows.AsSpan(i * dimensions, dimensions).ToArray() });
        var view = ml.Data.LoadFromEnumerable(data, schema);
        var trainer = ml.Clustering.Trainers.KMeans(new KMeansTrainer.Options
        {
            FeatureColumnName = nameof(Row.Features),
            NumberOfClusters = k,
            NumberOfThreads = 1,
            InitializationAlgorithm = KMeansTrainer.InitializationAlgorithm.KMeansPlusPlus,
            MaximumNumberOfIterations = 100,
        });
        var model = trainer.Fit(view);
        VBuffer<float>[] centroids = [];
        model.Model.GetClusterCentroids(ref centroids, out var found);
        var c = new float[found * dimensions];
        for (var j = 0; j < found; j++) centroids[j].CopyTo(c.AsSpan(j * dimensions, dimensions));
        return new KMeansResult(found, dimensions, c, cosine ? AssignCosine(rows, dimensions, c, found) : Assign(rows, dimensions, c, found));
    }

    /// <summary>The nearest centroid of each row (squared Euclidean distance; ties to the lower index).</summary>
    public static int[] Assign(float[] rows, int dimensions, float[] centroids, int k)
    {
        var n = rows.Length / dimensions;
        var result = new int[n];
        for (var i = 0; i < n; i++)
        {
            var row = rows.AsSpan(i * dimensions, dimensions);
            var best = 0;
            var bestD = double.MaxValue;
            for (var j = 0; j < k; j++)
            {
                var d = SquaredDistance(row, centroids.AsSpan(j * dimensions, dimensions));
                if (d < bestD) { bestD = d; best = j; }
            }
            result[i] = best;
        }
        return result;
    }

    /// <summary>
    /// Latent semantic analysis of sparse text vectors (Deerwester et al., "Indexing by latent semantic analysis",
    /// JASIS 41, 1990): projection on the first <paramref name="rank"/> principal components by ML.NET's randomised
    /// PCA (fixed seed), rows then L2-normalised (all-zero rows stay zero). Dense low-rank rows cluster into topics
    /// far better than sparse TF-IDF rows, where most pairs of rows share no token.
    /// </summary>
    /// <param name="rows">n × d floats, row-major.</param>
    /// <param name="dimensions">d.</param>
    /// <param name="rank">Components kept (capped at d − 1 and n − 1).</param>
    /// <param name="seed">Seed of the randomised projection.</param>
    /// <returns>n × r floats (r = the rank used) and r.</returns>
    public static (float[] Rows, int Dimensions) Lsa(float[] rows, int dimensions, int rank, int seed = 42)
    {
        var n = rows.Length / dimensions;
        rank = Math.Min(rank, Math.Min(dimensions - 1, n - 1));
        if (rank < 2) return (rows, dimensions);
        var ml = new MLContext(seed);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimensions);
        var data = new List<Row>(n);
        for (var i = 0; i < n; i++) data.Add(new Row { Features = rows.AsSpan(i * dimensions, dimensions).ToArray() });
        var view = ml.Data.LoadFromEnumerable(data, schema);
        var projected = ml.Transforms.ProjectToPrincipalComponents("Lsa", nameof(Row.Features), rank: rank, seed: seed).Fit(view).Transform(view);
        var result = new float[n * rank];
        var i2 = 0;
        foreach (var v in projected.GetColumn<VBuffer<float>>("Lsa"))
        {
            var target = result.AsSpan(i2 * rank, rank);
            v.CopyTo(target);
            var norm = 0.0;
            foreach (var x in target) norm += (double)x * x;
            norm = Math.Sqrt(norm);
            if (norm > 0) for (var t = 0; t < rank; t++) target[t] = (float)(target[t] / norm);
            i2++;
        }
        return (result, rank);
    }

    /// <summary>The centroid of highest cosine of each row (ties to the lower index; zero centroids never win).</summary>
    public static int[] AssignCosine(float[] rows, int dimensions, float[] centroids, int k)
    {
        var norms = new double[k];
        for (var j = 0; j < k; j++)
        {
            var c = centroids.AsSpan(j * dimensions, dimensions);
            var s = 0.0;
            foreach (var x in c) s += (double)x * x;
            norms[j] = Math.Sqrt(s);
        }
        var n = rows.Length / dimensions;
        var result = new int[n];
        for (var i = 0; i < n; i++)
        {
            var row = rows.AsSpan(i * dimensions, dimensions);
            var best = 0;
            var bestCos = double.NegativeInfinity;
            for (var j = 0; j < k; j++)
            {
                if (norms[j] == 0) continue;
                var c = centroids.AsSpan(j * dimensions, dimensions);
                var dot = 0.0;
                for (var t = 0; t < dimensions; t++) dot += (double)row[t] * c[t];
                var cos = dot / norms[j];
                if (cos > bestCos) { bestCos = cos; best = j; }
            }
            result[i] = best;
        }
        return result;
    }

    /// <summary>
    /// Mean silhouette of a clustering: for row i with mean distance a(i) to the rest of its cluster and smallest mean
    /// distance b(i) to another cluster, s(i) = (b − a) / max(a, b), and s(i) = 0 for a row alone in its cluster.
    /// Euclidean distances. −1 to 1; 0 when there is only one cluster.
    /// </summary>
    /// <param name="distances">n × n distances (symmetric, zero diagonal), row-major.</param>
    /// <param name="assignments">Cluster of each row, 0..k−1.</param>
    /// <param name="k">Number of clusters.</param>
    public static double Silhouette(double[] distances, int[] assignments, int k)
    {
        var n = assignments.Length;
        if (k < 2 || n < 2) return 0;
        var sizes = new int[k];
        foreach (var a in assignments) sizes[a]++;
        var sum = 0.0;
        var sums = new double[k];
        for (var i = 0; i < n; i++)
        {
            Array.Clear(sums);
            for (var j = 0; j < n; j++) sums[assignments[j]] += distances[i * n + j];
            var own = assignments[i];
            if (sizes[own] <= 1) continue; // s(i) = 0
            var a = sums[own] / (sizes[own] - 1);
            var b = double.MaxValue;
            for (var c = 0; c < k; c++)
                if (c != own && sizes[c] > 0) b = Math.Min(b, sums[c] / sizes[c]);
            if (b == double.MaxValue) continue;
            var m = Math.Max(a, b);
            sum += m > 0 ? (b - a) / m : 0;
        }
        return sum / n;
    }

    /// <summary>All pairwise Euclidean distances of the rows (n × n, row-major).</summary>
    public static double[] Distances(float[] rows, int dimensions)
    {
        var n = rows.Length / dimensions;
        var result = new double[n * n];
        for (var i = 0; i < n; i++)
            for (var j = i + 1; j < n; j++)
            {
                var d = Math.Sqrt(SquaredDistance(rows.AsSpan(i * dimensions, dimensions), rows.AsSpan(j * dimensions, dimensions)));
                result[i * n + j] = result[j * n + i] = d;
            }
        return result;
    }

    /// <summary>
    /// Chooses k in [<paramref name="minK"/>, <paramref name="maxK"/>] by the highest mean silhouette of a k-means fit
    /// on <paramref name="sample"/> (ties: the smaller k).
    /// </summary>
    /// <returns>The chosen k and its silhouette.</returns>
    public static (int K, double Silhouette) ChooseK(float[] sample, int dimensions, int minK, int maxK, int seed = 42)
    {
        var n = sample.Length / dimensions;
        if (n < 3) return (Math.Max(1, Math.Min(minK, n)), 0);
        var distances = Distances(sample, dimensions);
        var best = (K: Math.Min(minK, n - 1), Silhouette: double.NegativeInfinity);
        for (var k = minK; k <= Math.Min(maxK, n - 1); k++)
        {
            var fit = Fit(sample, dimensions, k, seed);
            var s = Silhouette(distances, fit.Assignments, fit.K);
            if (s > best.Silhouette + 1e-12) best = (k, s);
        }
        return best.Silhouette == double.NegativeInfinity ? (best.K, 0) : best;
    }

    private static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var s = 0.0;
        for (var t = 0; t < a.Length; t++)
        {
            var d = (double)a[t] - b[t];
            s += d * d;
        }
        return s;
    }
}
