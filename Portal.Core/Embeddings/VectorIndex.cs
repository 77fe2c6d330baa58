using System.Numerics;
using Portal.Core.Recommendation;

namespace Portal.Core.Embeddings;

/// <summary>One neighbour found by <see cref="VectorIndex"/>.</summary>
/// <param name="Row">Row (dense item id) of the neighbour.</param>
/// <param name="Cosine">Cosine similarity with the query, −1 to 1.</param>
public readonly record struct Neighbour(int Row, float Cosine);

/// <summary>
/// Exact cosine nearest-neighbour search by brute force over L2-normalised vectors (n × d, row-major floats): one
/// SIMD dot product per row, then <see cref="Ranking.TopK"/> (ties: lower row first). For the bundled catalogue
/// (about 4,000 items, d = 64) a query takes well under a millisecond. Rows that are all zero (items without a
/// vector) have cosine 0 with everything and are never returned as neighbours. Immutable and thread-safe.
/// </summary>
public sealed class VectorIndex
{
    private readonly float[] _unit;

    /// <summary>Builds the index; the vectors are copied and normalised.</summary>
    /// <param name="vectors">n × <paramref name="dimensions"/> floats, row-major.</param>
    /// <param name="dimensions">d ≥ 1.</param>
    /// <exception cref="ArgumentException">The length is not a multiple of d.</exception>
    public VectorIndex(ReadOnlySpan<float> vectors, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        if (vectors.Length % dimensions != 0) throw new ArgumentException($"{vectors.Length} floats are not rows of {dimensions}.", nameof(vectors));
        Dimensions = dimensions;
        Count = vectors.Length / dimensions;
        Raw = vectors.ToArray();
        _unit = vectors.ToArray();
        HasVector = new bool[Count];
        for (var r = 0; r < Count; r++) HasVector[r] = Normalise(_unit.AsSpan(r * dimensions, dimensions));
    }

    /// <summary>d, the vector size.</summary>
    public int Dimensions { get; }
    /// <summary>n, the number of rows.</summary>
    public int Count { get; }
    /// <summary>The vectors as given (n × d floats, not normalised), for saving: rebuilding from them gives identical unit vectors.</summary>
    public float[] Raw { get; }
    /// <summary>Whether each row has a non-zero vector (length n).</summary>
    public bool[] HasVector { get; }

    /// <summary>The unit vector of <paramref name="row"/> (all zeros when it has none).</summary>
    public ReadOnlySpan<float> Vector(int row) => _unit.AsSpan(row * Dimensions, Dimensions);

    /// <summary>Cosine similarity of rows <paramref name="a"/> and <paramref name="b"/> (0 when either has no vector).</summary>
    public float Cosine(int a, int b) => Dot(Vector(a), Vector(b));

    /// <summary>Cosine of every row with <paramref name="query"/> (normalised here; a zero query gives all zeros).</summary>
    /// <param name="query">d floats.</param>
    /// <param name="scores">n floats, overwritten.</param>
    /// <exception cref="ArgumentException">Wrong lengths.</exception>
    public void Scores(ReadOnlySpan<float> query, Span<float> scores)
    {
        if (query.Length != Dimensions) throw new ArgumentException($"Expected a query of {Dimensions} floats.", nameof(query));
        if (scores.Length != Count) throw new ArgumentException($"Expected {Count} scores.", nameof(scores));
        Span<float> q = query.Length <= 1024 ? stackalloc float[query.Length] : new float[query.Length];
        query.CopyTo(q);
        if (!Normalise(q)) { scores.Clear(); return; }
        for (var r = 0; r < Count; r++) scores[r] = Dot(_unit.AsSpan(r * Dimensions, Dimensions), q);
    }

    /// <summary>The <paramref name="k"/> rows nearest to row <paramref name="row"/>, the row itself and rows without a vector excluded.</summary>
    /// <returns>Nearest first; empty when the row has no vector.</returns>
    public IReadOnlyList<Neighbour> Nearest(int row, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Count);
        return HasVector[row] ? Nearest(Vector(row), k, row) : [];
    }

    /// <summary>The <paramref name="k"/> rows nearest to <paramref name="query"/>; rows without a vector excluded.</summary>
    /// <param name="query">d floats (any length; normalised here).</param>
    /// <param name="k">How many.</param>
    /// <param name="excludeRow">A row to leave out (the query item), or −1.</param>
    public IReadOnlyList<Neighbour> Nearest(ReadOnlySpan<float> query, int k, int excludeRow = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var scores = new float[Count];
        Scores(query, scores);
        for (var r = 0; r < Count; r++) if (!HasVector[r]) scores[r] = float.NaN;
        var exclude = excludeRow >= 0 ? new[] { excludeRow } : [];
        var top = Ranking.TopK(scores, k, exclude);
        var result = new List<Neighbour>(top.Length);
        foreach (var r in top) if (!float.IsNaN(scores[r])) result.Add(new Neighbour(r, scores[r]));
        return result;
    }

    /// <summary>Dot product of two spans of equal length (SIMD).</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var w = Vector<float>.Count;
        var acc = Vector<float>.Zero;
        var i = 0;
        for (; i <= a.Length - w; i += w) acc += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        var s = System.Numerics.Vector.Sum(acc);
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>Scales <paramref name="v"/> to unit length in place; false (and unchanged) when it is zero or not finite.</summary>
    public static bool Normalise(Span<float> v)
    {
        double s = 0;
        foreach (var x in v) s += (double)x * x;
        if (!(s > 0) || double.IsInfinity(s)) { v.Clear(); return false; }
        var inv = (float)(1 / Math.Sqrt(s));
        for (var i = 0; i < v.Length; i++) v[i] *= inv;
        return true;
    }
}
