using TorchSharp;
using static TorchSharp.torch;

namespace Portal.Core.Recommendation;

/// <summary>
/// EASE^R, the embarrassingly shallow autoencoder (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data",
/// WWW 2019): with the binary user-item matrix X and G = XᵀX, P = (G + λI)⁻¹ and B = I − P·diagMat(1/diag(P))
/// (so diag(B) = 0), a dense item×item matrix (float32, ItemCount² × 4 bytes). The inverse is computed in float64 with
/// TorchSharp (Cholesky, G + λI is symmetric positive definite). Score(u,i) = Σ_{j ∈ I_u} B[j,i] + <c>alpha</c> · r(u,i),
/// r the recency-weighted own count (half-life <c>halflife_days</c>): EASE cannot recommend a user's own items by
/// construction (zero diagonal), so the re-purchase term carries the "all" task. <c>lambda</c> is λ.
/// </summary>
public sealed class EaseRecommender(IReadOnlyDictionary<string, double>? parameters = null)
    : RecommenderBase(parameters, new Dictionary<string, double> { ["lambda"] = 250, ["alpha"] = 0, ["halflife_days"] = 30 })
{
    private float[] _b = [];
    private float[] _repeat = [];

    /// <inheritdoc />
    public override string Name => "ease";

    /// <inheritdoc />
    protected override void FitCore(InteractionSet data, CancellationToken ct)
    {
        var m = data.ItemCount;
        var g = data.Cooccurrence;
        var lambda = P("lambda");
        var gd = new double[(long)m * m];
        for (long x = 0; x < gd.LongLength; x++) gd[x] = g[x];
        for (var i = 0; i < m; i++) gd[(long)i * m + i] += lambda;
        ct.ThrowIfCancellationRequested();
        using (NewDisposeScope())
        {
            var gt = tensor(gd, [m, m], ScalarType.Float64);
            var l = linalg.cholesky(gt);
            var p = cholesky_inverse(l);
            var b = -(p / p.diagonal().unsqueeze(0));
            _b = b.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
            for (var i = 0; i < m; i++) _b[(long)i * m + i] = 0f;
        }
        _repeat = RepeatRecommender.RecencyWeights(data, P("halflife_days"));
    }

    /// <inheritdoc />
    protected override void ScoreCore(int user, Span<float> scores)
    {
        var data = Data;
        var m = data.ItemCount;
        scores.Clear();
        var alpha = (float)P("alpha");
        for (var p = data.UserOffsets[user]; p < data.UserOffsets[user + 1]; p++)
        {
            var j = data.UserItems[p];
            AddRow(_b.AsSpan(j * m, m), scores);
            scores[j] += alpha * _repeat[p];
        }
    }

    /// <summary>scores += row, with SIMD.</summary>
    private static void AddRow(ReadOnlySpan<float> row, Span<float> scores)
    {
        var w = System.Numerics.Vector<float>.Count;
        var i = 0;
        for (; i <= row.Length - w; i += w)
            (new System.Numerics.Vector<float>(row[i..]) + new System.Numerics.Vector<float>(scores[i..])).CopyTo(scores[i..]);
        for (; i < row.Length; i++) scores[i] += row[i];
    }

    /// <inheritdoc />
    protected override Explanation ExplainCore(int user, int item, int maxItems)
    {
        var data = Data;
        var m = data.ItemCount;
        var parts = data.ItemsOf(user).ToArray().Select(j => (j, (double)_b[(long)j * m + item])).ToList();
        var own = PairIndex(data, user, item);
        var self = own < 0 ? 0 : P("alpha") * _repeat[own];
        var sum = parts.Sum(p => p.Item2);
        var detail = new Dictionary<string, double> { ["linear_sum"] = sum };
        if (own >= 0) { detail["repeat"] = self; detail["times"] = data.UserItemCounts[own]; }
        if (self > 0 && self > sum) return new Explanation("repeat", [new Contribution(data.Items[item], self)], detail);
        return new Explanation("linear", Strongest(data, parts, maxItems), detail);
    }

    /// <inheritdoc />
    public override void SaveState(BinaryWriter writer)
    {
        writer.Write(_b.Length);
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(_b.AsSpan());
        writer.Write(bytes);
    }

    /// <inheritdoc />
    protected override void LoadStateCore(BinaryReader reader, InteractionSet data)
    {
        var n = reader.ReadInt32();
        if (n != data.ItemCount * data.ItemCount) throw new InvalidDataException("EASE state does not match the data's item count.");
        var b = new float[n];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(b.AsSpan());
        for (var read = 0; read < bytes.Length;)
        {
            var got = reader.Read(bytes[read..]);
            if (got <= 0) throw new InvalidDataException("EASE state is truncated.");
            read += got;
        }
        _b = b;
        _repeat = RepeatRecommender.RecencyWeights(data, P("halflife_days"));
    }

    /// <inheritdoc />
    protected override void OnScoringParametersChanged(InteractionSet data) => _repeat = RepeatRecommender.RecencyWeights(data, P("halflife_days"));
}
