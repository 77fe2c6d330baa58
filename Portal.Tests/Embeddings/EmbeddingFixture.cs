using System.Diagnostics;
using Portal.Core.Data.Sources;
using Portal.Core.Embeddings;
using Portal.Core.Evaluation;
using Portal.Core.Recommendation;

namespace Portal.Tests.Embeddings;

/// <summary>The bundled UCI file with its product names, and text2vec / item2vec fitted once on all of its events.</summary>
public sealed class EmbeddingFixture
{
    public EmbeddingFixture()
    {
        var ds = UciOnlineRetailDataset.Load(Portal.Tests.Evaluation.UciFixture.DataPath());
        Events = UciEventFileReader.FromUci(ds);
        Names = ds.Products.ToDictionary(p => p.Key, p => p.Value.Name, StringComparer.Ordinal);
        Data = InteractionSet.Create(Events);
        var sw = Stopwatch.StartNew();
        Text = new Text2VecRecommender();
        Text.UseCatalogueText(Names);
        Text.Fit(Data);
        TextSeconds = sw.Elapsed.TotalSeconds;
        sw.Restart();
        Items = new Item2VecRecommender();
        Items.Fit(Data);
        ItemSeconds = sw.Elapsed.TotalSeconds;
    }

    public IReadOnlyList<Interaction> Events { get; }
    public IReadOnlyDictionary<string, string> Names { get; }
    public InteractionSet Data { get; }
    public Text2VecRecommender Text { get; }
    public Item2VecRecommender Items { get; }
    public double TextSeconds { get; }
    public double ItemSeconds { get; }
}
