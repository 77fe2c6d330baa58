using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Portal.Core.Recommendation.Gru;

/// <summary>
/// The GRU4Rec network (Hidasi, Karatzoglou, Baltrunas and Tikk, "Session-based Recommendations with Recurrent
/// Neural Networks", ICLR 2016; Hidasi and Karatzoglou, "Recurrent Neural Networks with Top-k Gains for Session-based
/// Recommendations", CIKM 2018): item embedding input, a stack of GRU layers, and item scores
/// <c>o = h·Wyᵀ + by</c> over the whole catalogue (or a sampled subset of it while training).
/// The input embedding is either the output matrix <c>Wy</c> itself ("constrained"/shared embedding, the official
/// implementation's default) or a separate matrix of <see cref="EmbeddingSize"/> columns.
/// All parameters are plain float32 tensors created and initialised from an explicit <see cref="Generator"/>, so a
/// fit never touches libtorch's global random state. Not thread-safe.
/// </summary>
internal sealed class GruNetwork : IDisposable
{
    /// <summary>Number of items (rows of <c>Wy</c>).</summary>
    public int ItemCount { get; }
    /// <summary>Units of every GRU layer.</summary>
    public int Hidden { get; }
    /// <summary>Number of GRU layers.</summary>
    public int Layers { get; }
    /// <summary>Columns of the separate input embedding; 0 means the input embedding is <c>Wy</c> (shared).</summary>
    public int EmbeddingSize { get; }

    /// <summary>Output item matrix [ItemCount, Hidden] (also the input embedding when shared).</summary>
    public Parameter Wy { get; }
    /// <summary>Output item bias [ItemCount].</summary>
    public Parameter By { get; }
    /// <summary>Separate input embedding [ItemCount, EmbeddingSize], or null when shared.</summary>
    public Parameter? E { get; }
    /// <summary>Per layer: input weights [in, 3·Hidden] (gates r, z, n).</summary>
    public Parameter[] Wih { get; }
    /// <summary>Per layer: recurrent weights [Hidden, 3·Hidden].</summary>
    public Parameter[] Whh { get; }
    /// <summary>Per layer: input bias [3·Hidden].</summary>
    public Parameter[] Bih { get; }
    /// <summary>Per layer: recurrent bias [3·Hidden].</summary>
    public Parameter[] Bhh { get; }

    /// <summary>Creates and initialises the parameters (uniform ±√(6/(fan_in+fan_out)) per gate block, biases 0, as the official implementation's compatibility mode).</summary>
    public GruNetwork(int itemCount, int hidden, int layers, int embeddingSize, Generator generator)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(itemCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(embeddingSize);
        ItemCount = itemCount; Hidden = hidden; Layers = layers; EmbeddingSize = embeddingSize;
        Wy = new Parameter(Uniform([itemCount, hidden], generator));
        By = new Parameter(zeros(itemCount));
        if (embeddingSize > 0) E = new Parameter(Uniform([itemCount, embeddingSize], generator));
        Wih = new Parameter[layers]; Whh = new Parameter[layers]; Bih = new Parameter[layers]; Bhh = new Parameter[layers];
        for (var l = 0; l < layers; l++)
        {
            var inSize = l == 0 ? InputSize : hidden;
            Wih[l] = new Parameter(Gates(inSize, hidden, generator));
            Whh[l] = new Parameter(Gates(hidden, hidden, generator));
            Bih[l] = new Parameter(zeros(3 * hidden));
            Bhh[l] = new Parameter(zeros(3 * hidden));
        }
    }

    /// <summary>Width of the first layer's input: <see cref="EmbeddingSize"/>, or <see cref="Hidden"/> when shared.</summary>
    public int InputSize => EmbeddingSize > 0 ? EmbeddingSize : Hidden;

    /// <summary>Three gate blocks [rows, hidden] side by side → [rows, 3·hidden], each initialised by <see cref="Uniform"/>.</summary>
    private static Tensor Gates(long rows, long hidden, Generator generator)
    {
        using Tensor r = Uniform([rows, hidden], generator), z = Uniform([rows, hidden], generator), n = Uniform([rows, hidden], generator);
        return cat([r, z, n], 1);
    }

    private static Tensor Uniform(long[] shape, Generator generator)
    {
        var sigma = Math.Sqrt(6.0 / (shape[0] + shape[1]));
        using var u = rand(shape, ScalarType.Float32, generator: generator);
        using Scalar width = 2 * sigma, shift = sigma; // held to the end of the call (HeldScalars)
        return u.mul(width).sub_(shift);
    }

    /// <summary>Every trainable parameter, in a fixed order (also the order of <see cref="Write"/>).</summary>
    public IReadOnlyList<Parameter> Parameters()
    {
        var list = new List<Parameter> { Wy, By };
        if (E is not null) list.Add(E);
        for (var l = 0; l < Layers; l++) { list.Add(Wih[l]); list.Add(Whh[l]); list.Add(Bih[l]); list.Add(Bhh[l]); }
        return list;
    }

    /// <summary>The GRU layers' parameters (updated densely; the item matrices Wy, By and E are updated by rows).</summary>
    public IReadOnlyList<Parameter> RecurrentParameters()
    {
        var list = new List<Parameter>();
        for (var l = 0; l < Layers; l++) { list.Add(Wih[l]); list.Add(Whh[l]); list.Add(Bih[l]); list.Add(Bhh[l]); }
        return list;
    }

    /// <summary>Input embeddings of items <paramref name="items"/> (int64 [B]) → [B, InputSize].</summary>
    public Tensor Embed(Tensor items) => (E ?? Wy).index_select(0, items);

    /// <summary>
    /// One GRU step of layer <paramref name="layer"/> (PyTorch's GRUCell equations: r = σ(x·W_ir + b_ir + h·W_hr + b_hr),
    /// z = σ(…), n = tanh(x·W_in + b_in + r ⊙ (h·W_hn + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h).
    /// </summary>
    /// <param name="layer">Layer index.</param>
    /// <param name="x">Input [B, in].</param>
    /// <param name="h">Previous state [B, Hidden].</param>
    /// <returns>New state [B, Hidden].</returns>
    public Tensor Cell(int layer, Tensor x, Tensor h)
    {
        using var scope = NewDisposeScope();
        var gi = addmm(Bih[layer], x, Wih[layer], 1, 1).chunk(3, 1);
        var gh = addmm(Bhh[layer], h, Whh[layer], 1, 1).chunk(3, 1);
        // Explicit alphas: see HeldScalars (t + u would pass an implicit Scalar).
        var r = gi[0].add(gh[0], HeldScalars.One).sigmoid_();
        var z = gi[1].add(gh[1], HeldScalars.One).sigmoid_();
        var n = gi[2].add(r * gh[2], HeldScalars.One).tanh_();
        return n.add(z * (h - n), HeldScalars.One).MoveToOuterDisposeScope();
    }

    /// <summary>Scores of the target items <paramref name="targets"/> (int64 [N]) for states <paramref name="h"/> [B, Hidden] → [B, N].</summary>
    public Tensor ScoreItems(Tensor h, Tensor targets) =>
        addmm(By.index_select(0, targets).unsqueeze(0), h, Wy.index_select(0, targets).t(), 1, 1);

    /// <summary>Writes every parameter (shape and float32 values) in <see cref="Parameters"/> order.</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(ItemCount); w.Write(Hidden); w.Write(Layers); w.Write(EmbeddingSize);
        foreach (var p in Parameters())
        {
            // Scoped: an unreferenced temporary could be finalized by another thread's collection during a native call.
            using var scope = NewDisposeScope();
            var values = p.detach().contiguous().data<float>().ToArray();
            w.Write(values.Length);
            w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        }
    }

    /// <summary>Reads a network written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">Sizes do not match.</exception>
    public static GruNetwork Read(BinaryReader r, Generator generator)
    {
        int items = r.ReadInt32(), hidden = r.ReadInt32(), layers = r.ReadInt32(), embedding = r.ReadInt32();
        if (items < 1 || hidden < 1 || layers < 1 || embedding < 0) throw new InvalidDataException("GRU state has invalid sizes.");
        var net = new GruNetwork(items, hidden, layers, embedding, generator);
        using var noGrad = no_grad();
        foreach (var p in net.Parameters())
        {
            var n = r.ReadInt32();
            if (n != p.numel()) throw new InvalidDataException("GRU state does not match the network's shape.");
            // A named, disposed tensor: a temporary one could be finalized by another thread's collection during copy_.
            using var values = tensor(ReadFloats(r, n), p.shape);
            p.copy_(values);
        }
        return net;
    }

    /// <summary>Reads <paramref name="n"/> float32 values written as raw bytes.</summary>
    /// <exception cref="InvalidDataException">The stream ends early.</exception>
    public static float[] ReadFloats(BinaryReader r, int n)
    {
        var values = new float[n];
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
        for (var read = 0; read < bytes.Length;)
        {
            var got = r.Read(bytes[read..]);
            if (got <= 0) throw new InvalidDataException("GRU state is truncated.");
            read += got;
        }
        return values;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var p in Parameters()) p.Dispose();
    }
}
