using Portal.Core.Recommendation;

namespace Portal.Core.Embeddings;

/// <summary>
/// <c>text2vec</c>: item vectors from product text (<see cref="TextEmbedding"/>: Word2Vec skip-gram with negative
/// sampling over the tokens of all catalogue texts, SIF-weighted mean per product), scored as an
/// <see cref="EmbeddingRecommender"/>. The text comes from <see cref="ICatalogueTextModel.UseCatalogueText"/>; the
/// vectors of a fit depend only on the text and the text parameters, so fits on the validation and train parts with
/// the same text share one training (cached for the last text and parameters). Items of the data without text get
/// no vector. Products of the catalogue with text but no events are reachable when the data holds them as items
/// without events (<see cref="InteractionSet.Create(IEnumerable{Interaction}, IEnumerable{string}?)"/>; the
/// pipeline does so for the serving model): that is the cold-start path.
/// Parameters: <c>dim</c> (d), <c>window</c>, <c>epochs</c>, <c>negatives</c>, <c>sif_a</c>, <c>remove_pc</c> (0/1),
/// <c>min_steps</c> (<see cref="Word2VecOptions.MinSteps"/>), <c>seed</c>, and the scoring parameters of <see cref="EmbeddingRecommender"/>.
/// </summary>
public sealed class Text2VecRecommender(IReadOnlyDictionary<string, double>? parameters = null)
    : EmbeddingRecommender(parameters, new Dictionary<string, double>
    {
        ["dim"] = 64, ["window"] = 5, ["epochs"] = 20, ["negatives"] = 5, ["sif_a"] = 1e-3, ["remove_pc"] = 1, ["min_steps"] = 1000, ["seed"] = 42,
    }), ICatalogueTextModel
{
    private static readonly Lock CacheLock = new();
    private static (IReadOnlyDictionary<string, string> Text, string Key, TextEmbedding Embedding)? _cache;

    private IReadOnlyDictionary<string, string>? _text;
    private TextEmbedding? _embedding;
    private string[][] _itemTokens = [];

    /// <inheritdoc />
    public override string Name => "text2vec";

    /// <inheritdoc />
    public void UseCatalogueText(IReadOnlyDictionary<string, string> text) => _text = text ?? throw new ArgumentNullException(nameof(text));

    /// <summary>The trained text embedding (vocabulary, token vectors, SIF weights), to embed any text.</summary>
    /// <exception cref="InvalidOperationException">Not fitted.</exception>
    public TextEmbedding Embedding => _embedding ?? throw new InvalidOperationException("text2vec is not fitted.");

    /// <summary>The distinct tokens of item <paramref name="item"/>'s text in the vocabulary, in text order (empty without text).</summary>
    public IReadOnlyList<string> ItemTokens(int item) => _itemTokens[item];

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No catalogue text was given.</exception>
    protected override float[] ItemVectors(InteractionSet data, CancellationToken ct, out int dimensions)
    {
        var text = _text ?? throw new InvalidOperationException("text2vec needs the catalogue's product text (UseCatalogueText / PipelineOptions.CatalogueText).");
        var options = new TextEmbeddingOptions
        {
            Word2Vec = new Word2VecOptions
            {
                Dimensions = (int)P("dim"), Window = (int)P("window"), Epochs = (int)P("epochs"), Negatives = (int)P("negatives"),
                BatchSize = 1024, Subsample = 1e-3, LearningRate = 0.01, Seed = (int)P("seed"), MinSteps = (int)P("min_steps"),
            },
            SifA = P("sif_a"),
            RemovePrincipalComponent = P("remove_pc") != 0,
        };
        var key = $"{options.Word2Vec}|{options.SifA:R}|{options.RemovePrincipalComponent}";
        TextEmbedding? embedding = null;
        lock (CacheLock)
            if (_cache is { } c && ReferenceEquals(c.Text, text) && c.Key == key) embedding = c.Embedding;
        if (embedding is null)
        {
            embedding = TextEmbedding.Train(text.Values, options, ct);
            lock (CacheLock) _cache = (text, key, embedding);
        }
        _embedding = embedding;
        dimensions = embedding.Dimensions;
        var vectors = new float[(long)data.ItemCount * dimensions];
        _itemTokens = new string[data.ItemCount][];
        for (var i = 0; i < data.ItemCount; i++)
        {
            var tokens = text.TryGetValue(data.Items[i], out var t) ? TextTokenizer.Tokenize(t) : [];
            _itemTokens[i] = tokens.Where(w => embedding.TokenId(w) >= 0).Distinct(StringComparer.Ordinal).ToArray();
            embedding.Embed(tokens).CopyTo(vectors.AsSpan(i * dimensions, dimensions));
        }
        return vectors;
    }

    /// <inheritdoc />
    protected override void SaveExtra(BinaryWriter writer)
    {
        Embedding.Write(writer);
        writer.Write(_itemTokens.Length);
        foreach (var tokens in _itemTokens)
        {
            writer.Write(tokens.Length);
            foreach (var t in tokens) writer.Write(t);
        }
    }

    /// <inheritdoc />
    protected override void LoadExtra(BinaryReader reader, InteractionSet data)
    {
        _embedding = TextEmbedding.Read(reader);
        var n = reader.ReadInt32();
        if (n != data.ItemCount) throw new InvalidDataException("text2vec token lists do not match the data's item count.");
        _itemTokens = new string[n][];
        for (var i = 0; i < n; i++)
        {
            var tokens = new string[reader.ReadInt32()];
            for (var j = 0; j < tokens.Length; j++) tokens[j] = reader.ReadString();
            _itemTokens[i] = tokens;
        }
    }
}
