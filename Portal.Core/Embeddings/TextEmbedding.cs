namespace Portal.Core.Embeddings;

/// <summary>Hyper-parameters of <see cref="TextEmbedding.Train"/>.</summary>
public sealed record TextEmbeddingOptions
{
    /// <summary>The Word2Vec options (window, dimensions, epochs, seed...).</summary>
    public Word2VecOptions Word2Vec { get; init; } = new() { Window = 5, Epochs = 20, BatchSize = 1024, Subsample = 1e-3 };
    /// <summary>SIF's a in the weight a / (a + p(w)) (Arora et al. use 1e-3 to 1e-4).</summary>
    public double SifA { get; init; } = 1e-3;
    /// <summary>Whether to remove the first principal component of the text vectors (SIF's common-discourse direction).</summary>
    public bool RemovePrincipalComponent { get; init; } = true;
    /// <summary>
    /// The principal component is removed only when there are at least this many texts: in a small catalogue the first
    /// component is one product group's own direction (a dozen phones, clothes and tables: the phones), not a
    /// common-discourse direction, and removing it makes that group's members dissimilar.
    /// </summary>
    public int PrincipalComponentMinTexts { get; init; } = 1000;
}

/// <summary>
/// Text vectors for products: Word2Vec (<see cref="Word2Vec"/>) trained on the tokens (<see cref="TextTokenizer"/>) of
/// all catalogue texts, and an item's vector the SIF-weighted mean of its token vectors (Arora, Liang and Ma, "A simple
/// but tough-to-beat baseline for sentence embeddings", ICLR 2017): v_s = (1/|s|) Σ_{w∈s} a/(a + p(w)) · v_w, with p(w)
/// the token's relative frequency in the catalogue, then optionally v_s ← v_s − u uᵀ v_s with u the first principal
/// component (first right singular vector, uncentred) of the catalogue's text vectors (only for catalogues of at least
/// <see cref="TextEmbeddingOptions.PrincipalComponentMinTexts"/> texts). A token vector is the sum of
/// its input and output skip-gram embeddings (d floats). Tokens not in the vocabulary are skipped. Immutable.
/// </summary>
public sealed class TextEmbedding
{
    private readonly Dictionary<string, int> _index;

    private TextEmbedding(string[] vocabulary, float[] wordVectors, double[] probabilities, float[] principal, int dimensions, double sifA, double loss)
    {
        Vocabulary = vocabulary;
        WordVectors = wordVectors;
        Probabilities = probabilities;
        PrincipalComponent = principal;
        Dimensions = dimensions;
        SifA = sifA;
        FinalLoss = loss;
        _index = new Dictionary<string, int>(vocabulary.Length, StringComparer.Ordinal);
        for (var i = 0; i < vocabulary.Length; i++) _index[vocabulary[i]] = i;
    }

    /// <summary>Tokens by id, ordinal order.</summary>
    public IReadOnlyList<string> Vocabulary { get; }
    /// <summary>Token vectors, V × d floats row-major.</summary>
    public float[] WordVectors { get; }
    /// <summary>p(w), each token's relative frequency in the training texts (length V).</summary>
    public double[] Probabilities { get; }
    /// <summary>The removed principal component u (d floats, unit length), or all zeros when none is removed.</summary>
    public float[] PrincipalComponent { get; }
    /// <summary>d.</summary>
    public int Dimensions { get; }
    /// <summary>SIF's a.</summary>
    public double SifA { get; }
    /// <summary>Word2Vec's mean loss per pair in its last epoch (NaN after <see cref="Read"/>).</summary>
    public double FinalLoss { get; }

    /// <summary>Id of <paramref name="token"/>, or −1.</summary>
    public int TokenId(string token) => _index.TryGetValue(token, out var i) ? i : -1;

    /// <summary>Trains on <paramref name="texts"/> (one text per product; their order does not matter: they are sorted).</summary>
    /// <param name="texts">Product texts (name, description...).</param>
    /// <param name="options">Options (null: defaults).</param>
    /// <param name="ct">Cancellation.</param>
    public static TextEmbedding Train(IEnumerable<string> texts, TextEmbeddingOptions? options = null, CancellationToken ct = default)
    {
        options ??= new TextEmbeddingOptions();
        var tokenised = texts.Order(StringComparer.Ordinal).Select(TextTokenizer.Tokenize).Where(t => t.Count > 0).ToList();
        var vocabulary = tokenised.SelectMany(t => t).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < vocabulary.Length; i++) index[vocabulary[i]] = i;
        var sentences = tokenised.Select(t => t.Select(w => index[w]).ToArray()).ToList();
        var d = options.Word2Vec.Dimensions;
        if (vocabulary.Length == 0) return new TextEmbedding([], [], [], new float[d], d, options.SifA, double.NaN);

        var w2v = Word2Vec.Train(sentences, vocabulary.Length, options.Word2Vec, ct: ct);
        var vectors = new float[w2v.Input.Length];
        for (var i = 0; i < vectors.Length; i++) vectors[i] = w2v.Input[i] + w2v.Output[i];
        var total = (double)w2v.Counts.Sum();
        var p = w2v.Counts.Select(c => c / total).ToArray();
        var withoutPc = new TextEmbedding(vocabulary, vectors, p, new float[d], d, options.SifA, w2v.FinalLoss);
        if (!options.RemovePrincipalComponent || sentences.Count < Math.Max(2, options.PrincipalComponentMinTexts)) return withoutPc;

        // First principal component (uncentred) of the SIF vectors of the training texts, by power iteration on XᵀX.
        var x = tokenised.Select(t => withoutPc.Embed(t)).ToList();
        var u = FirstSingularVector(x, d);
        return new TextEmbedding(vocabulary, vectors, p, u, d, options.SifA, w2v.FinalLoss);
    }

    /// <summary>The SIF vector of <paramref name="text"/> (tokenised with <see cref="TextTokenizer"/>); d floats, all zero when no token is known.</summary>
    public float[] Embed(string? text) => Embed(TextTokenizer.Tokenize(text));

    /// <summary>The SIF vector of a token list; d floats, all zero when no token is known.</summary>
    public float[] Embed(IReadOnlyList<string> tokens)
    {
        var d = Dimensions;
        var v = new float[d];
        if (tokens.Count == 0) return v;
        var known = 0;
        foreach (var t in tokens)
        {
            var id = TokenId(t);
            if (id < 0) continue;
            known++;
            var w = (float)(SifA / (SifA + Probabilities[id]));
            var row = WordVectors.AsSpan(id * d, d);
            for (var j = 0; j < d; j++) v[j] += w * row[j];
        }
        if (known == 0) return v;
        for (var j = 0; j < d; j++) v[j] /= tokens.Count;
        var proj = VectorIndex.Dot(v, PrincipalComponent);
        for (var j = 0; j < d; j++) v[j] -= proj * PrincipalComponent[j];
        return v;
    }

    /// <summary>Writes the vocabulary, vectors, probabilities and principal component.</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(Dimensions); w.Write(SifA);
        w.Write(Vocabulary.Count);
        for (var i = 0; i < Vocabulary.Count; i++) { w.Write(Vocabulary[i]); w.Write(Probabilities[i]); }
        foreach (var x in WordVectors) w.Write(x);
        foreach (var x in PrincipalComponent) w.Write(x);
    }

    /// <summary>Reads what <see cref="Write"/> wrote.</summary>
    /// <exception cref="InvalidDataException">Inconsistent sizes.</exception>
    public static TextEmbedding Read(BinaryReader r)
    {
        var d = r.ReadInt32(); var a = r.ReadDouble();
        var n = r.ReadInt32();
        if (d < 1 || n < 0) throw new InvalidDataException("Bad text embedding header.");
        var vocab = new string[n]; var p = new double[n];
        for (var i = 0; i < n; i++) { vocab[i] = r.ReadString(); p[i] = r.ReadDouble(); }
        var vectors = new float[n * d];
        for (var i = 0; i < vectors.Length; i++) vectors[i] = r.ReadSingle();
        var pc = new float[d];
        for (var i = 0; i < d; i++) pc[i] = r.ReadSingle();
        return new TextEmbedding(vocab, vectors, p, pc, d, a, double.NaN);
    }

    /// <summary>First right singular vector of the rows (unit length, sign fixed so that its largest |entry| is positive).</summary>
    private static float[] FirstSingularVector(List<float[]> rows, int d)
    {
        var c = new double[d, d];
        foreach (var row in rows)
            for (var i = 0; i < d; i++)
            {
                if (row[i] == 0) continue;
                for (var j = 0; j < d; j++) c[i, j] += (double)row[i] * row[j];
            }
        var u = new double[d];
        for (var i = 0; i < d; i++) u[i] = 1.0 / Math.Sqrt(d) * (1 + 0.01 * i); // deterministic start
        for (var it = 0; it < 200; it++)
        {
            var next = new double[d];
            for (var i = 0; i < d; i++)
                for (var j = 0; j < d; j++) next[i] += c[i, j] * u[j];
            var norm = Math.Sqrt(next.Sum(z => z * z));
            if (norm == 0) return new float[d];
            for (var i = 0; i < d; i++) next[i] /= norm;
            var delta = 0.0;
            for (var i = 0; i < d; i++) delta += Math.Abs(next[i] - u[i]);
            u = next;
            if (delta < 1e-9) break;
        }
        var maxAt = 0;
        for (var i = 1; i < d; i++) if (Math.Abs(u[i]) > Math.Abs(u[maxAt])) maxAt = i;
        var sign = u[maxAt] < 0 ? -1 : 1;
        return u.Select(z => (float)(sign * z)).ToArray();
    }
}
