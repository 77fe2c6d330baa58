using Portal.Core.Recommendation;

namespace Portal.Core.Embeddings;

/// <summary>
/// <c>item2vec</c> (Barkan and Koenigstein, "Item2Vec: neural item embedding for collaborative filtering", MLSP 2016):
/// skip-gram with negative sampling and subsampling (<see cref="Word2Vec"/>) where a "sentence" is one user's items in
/// event order (the data's order, which is time then source line) and a "word" an item; the item vector is the sum of
/// its input and output embeddings. Scored as an <see cref="EmbeddingRecommender"/>. Items without events (only
/// possible in a set built with extra items) keep a zero vector.
/// Parameters: <c>dim</c> (d), <c>window</c> (≤ 0: the user's whole sequence, the set-based variant of the paper;
/// its pairs grow with the square of a history's length, so it is only practical for short histories),
/// <c>epochs</c>, <c>negatives</c>, <c>subsample</c> (t), <c>min_steps</c> (<see cref="Word2VecOptions.MinSteps"/>), <c>seed</c>, and the scoring parameters of
/// <see cref="EmbeddingRecommender"/>.
/// </summary>
public sealed class Item2VecRecommender(IReadOnlyDictionary<string, double>? parameters = null)
    : EmbeddingRecommender(parameters, new Dictionary<string, double>
    {
        ["dim"] = 64, ["window"] = 5, ["epochs"] = 5, ["negatives"] = 5, ["subsample"] = 1e-3, ["min_steps"] = 1000, ["seed"] = 42,
    })
{
    /// <inheritdoc />
    public override string Name => "item2vec";

    /// <summary>Mean loss per pair of the last epoch of the last fit (NaN before a fit or after a load).</summary>
    public double FinalLoss { get; private set; } = double.NaN;

    /// <inheritdoc />
    protected override float[] ItemVectors(InteractionSet data, CancellationToken ct, out int dimensions)
    {
        var sequences = new List<int>[data.UserCount];
        for (var u = 0; u < sequences.Length; u++) sequences[u] = [];
        for (var k = 0; k < data.EventCount; k++) sequences[data.EventUser[k]].Add(data.EventItem[k]);
        var sentences = sequences.Where(s => s.Count > 1).Select(s => s.ToArray()).ToList();
        var options = new Word2VecOptions
        {
            Dimensions = (int)P("dim"), Window = (int)P("window"), Epochs = (int)P("epochs"), Negatives = (int)P("negatives"),
            Subsample = P("subsample"), BatchSize = 4096, LearningRate = 0.01, Seed = (int)P("seed"), MinSteps = (int)P("min_steps"),
        };
        dimensions = options.Dimensions;
        if (data.ItemCount == 0) return [];
        var model = Word2Vec.Train(sentences, data.ItemCount, options, ct: ct);
        FinalLoss = model.FinalLoss;
        var vectors = new float[model.Input.Length];
        for (var i = 0; i < vectors.Length; i++) vectors[i] = model.Input[i] + model.Output[i];
        for (var i = 0; i < data.ItemCount; i++)
            if (model.Counts[i] == 0) vectors.AsSpan(i * dimensions, dimensions).Clear();
        return vectors;
    }
}
