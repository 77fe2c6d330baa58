using Portal.Core.Embeddings;

namespace Portal.Core.Tiers;

/// <summary>Product vectors in one space: unit-length rows, one per product (a zero row for a product without text).</summary>
/// <param name="Source"><c>text2vec</c> (the active text model's item vectors) or <c>tf-idf</c>.</param>
/// <param name="ProductIds">Database id of each row.</param>
/// <param name="Index">The vectors (cosine nearest-neighbour search).</param>
public sealed record ProductSpace(string Source, int[] ProductIds, VectorIndex Index)
{
    private readonly Dictionary<int, int> _rows = ProductIds.Select((id, r) => (id, r)).ToDictionary(x => x.id, x => x.r);

    /// <summary>Row of product <paramref name="productId"/>, or −1.</summary>
    public int Row(int productId) => _rows.TryGetValue(productId, out var r) ? r : -1;

    /// <summary>
    /// TF-IDF vectors of the products' texts (Salton and Buckley, "Term-weighting approaches in automatic text
    /// retrieval", 1988): tokens from <see cref="TextTokenizer"/>, vocabulary = the <paramref name="maxVocabulary"/>
    /// tokens found in the most products (at least two; ties in ordinal order), weight = count × ln(N / df), rows
    /// L2-normalised. Used when no text2vec model is active.
    /// </summary>
    /// <param name="products">Product id and text, any order (rows follow it).</param>
    /// <param name="maxVocabulary">Vocabulary size cap (dimensions).</param>
    public static ProductSpace TfIdf(IReadOnlyList<(int Id, string Text)> products, int maxVocabulary = 400)
    {
        var tokens = products.Select(p => TextTokenizer.Tokenize(p.Text)).ToList();
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var doc in tokens)
            foreach (var t in doc.Distinct(StringComparer.Ordinal))
                df[t] = df.GetValueOrDefault(t) + 1;
        var vocabulary = df.Where(x => x.Value >= 2).OrderByDescending(x => x.Value).ThenBy(x => x.Key, StringComparer.Ordinal)
            .Take(maxVocabulary).Select(x => x.Key).ToList();
        var d = Math.Max(1, vocabulary.Count);
        var index = vocabulary.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);
        var n = products.Count;
        var vectors = new float[n * d];
        for (var r = 0; r < n; r++)
        {
            var row = vectors.AsSpan(r * d, d);
            foreach (var t in tokens[r])
                if (index.TryGetValue(t, out var c)) row[c] += (float)Math.Log((double)n / df[t]);
        }
        return new ProductSpace("tf-idf", products.Select(p => p.Id).ToArray(), new VectorIndex(vectors, d));
    }
}

/// <summary>One discovered interest topic.</summary>
/// <param name="Key">Top three tokens sorted and joined by spaces (its identity across runs).</param>
/// <param name="Name">Most characteristic tokens, best first, joined by " · ".</param>
/// <param name="ProductIds">Products in the topic.</param>
public sealed record DiscoveredTopic(string Key, string Name, int[] ProductIds);

/// <summary>
/// Interest topics: k-means (<see cref="KMeansClustering"/>, rows assigned to the centroid of highest cosine) over the unit product text vectors (TF-IDF vectors reduced by LSA first), each topic named by
/// its most characteristic tokens by class-based TF-IDF (Grootendorst, "BERTopic: Neural topic modeling with a
/// class-based TF-IDF procedure", 2022): score(t, c) = (tf(t, c) / W_c) · ln(1 + A / f(t)), with tf(t, c) the count
/// of token t in the topic's texts, W_c the topic's token count, A the mean token count per topic and f(t) the count
/// of t over all topics. Topics are numbered by size (largest first, ties by key).
/// </summary>
public static class InterestTopics
{
    /// <summary>Dimensions kept by LSA before clustering TF-IDF vectors (<see cref="KMeansClustering.Lsa"/>).</summary>
    public const int LsaRank = 48;

    /// <summary>Discovers <paramref name="k"/> topics among the products that have a vector.</summary>
    /// <param name="space">Product vectors.</param>
    /// <param name="texts">Product id → text (for the names).</param>
    /// <param name="k">Topics wanted (fewer when there are fewer products).</param>
    /// <param name="seed">k-means seed.</param>
    /// <returns>The topics, and the topic index of each product id (products without a vector have none).</returns>
    public static (IReadOnlyList<DiscoveredTopic> Topics, Dictionary<int, int> TopicOf) Discover(ProductSpace space, IReadOnlyDictionary<int, string> texts, int k, int seed = 42)
    {
        var d = space.Index.Dimensions;
        var rows = new List<int>();
        for (var r = 0; r < space.ProductIds.Length; r++) if (space.Index.HasVector[r]) rows.Add(r);
        if (rows.Count == 0) return ([], []);
        var data = new float[rows.Count * d];
        for (var i = 0; i < rows.Count; i++) space.Index.Vector(rows[i]).CopyTo(data.AsSpan(i * d, d));
        // Sparse TF-IDF rows are first reduced by LSA (dense text2vec rows are clustered as they are).
        if (space.Source == "tf-idf") (data, d) = KMeansClustering.Lsa(data, d, LsaRank, seed);
        var fit = KMeansClustering.Fit(data, d, k, seed, cosine: true);

        var members = Enumerable.Range(0, fit.K).Select(_ => new List<int>()).ToList();
        for (var i = 0; i < rows.Count; i++) members[fit.Assignments[i]].Add(space.ProductIds[rows[i]]);
        var tokens = members.Select(m => m.SelectMany(id => TextTokenizer.Tokenize(texts.GetValueOrDefault(id))).ToList()).ToList();
        var total = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var list in tokens) foreach (var t in list) total[t] = total.GetValueOrDefault(t) + 1;
        var nonEmpty = members.Count(m => m.Count > 0);
        var a = nonEmpty == 0 ? 1.0 : tokens.Sum(l => l.Count) / (double)nonEmpty;

        var topics = new List<DiscoveredTopic>();
        for (var c = 0; c < fit.K; c++)
        {
            if (members[c].Count == 0) continue;
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var t in tokens[c]) counts[t] = counts.GetValueOrDefault(t) + 1;
            var w = Math.Max(1, tokens[c].Count);
            var top = counts.Select(x => (Token: x.Key, Score: x.Value / (double)w * Math.Log(1 + a / total[x.Key])))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Token, StringComparer.Ordinal).Take(3).Select(x => x.Token).ToList();
            if (top.Count == 0) top.Add($"topic{c + 1}");
            topics.Add(new DiscoveredTopic(string.Join(' ', top.Order(StringComparer.Ordinal)), string.Join(" · ", top), members[c].Order().ToArray()));
        }
        topics = topics.OrderByDescending(t => t.ProductIds.Length).ThenBy(t => t.Key, StringComparer.Ordinal).ToList();
        // Keys are identities: make duplicates (two topics with the same top tokens) unique.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < topics.Count; i++)
        {
            var key = topics[i].Key;
            for (var s = 2; !seen.Add(key); s++) key = $"{topics[i].Key} #{s}";
            if (key != topics[i].Key) topics[i] = topics[i] with { Key = key, Name = $"{topics[i].Name} #{key[(key.LastIndexOf('#') + 1)..]}" };
        }
        var topicOf = new Dictionary<int, int>();
        for (var t = 0; t < topics.Count; t++) foreach (var id in topics[t].ProductIds) topicOf[id] = t;
        return (topics, topicOf);
    }
}
