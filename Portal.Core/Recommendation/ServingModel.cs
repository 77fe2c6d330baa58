using System.Diagnostics;
using System.Text;

namespace Portal.Core.Recommendation;

/// <summary>One recommended item for a user.</summary>
/// <param name="Rank">1-based position.</param>
/// <param name="ItemId">The item's source id.</param>
/// <param name="Score">The model's score (model-specific scale, higher is better).</param>
/// <param name="Reason">Why it is recommended.</param>
public sealed record RecommendedItem(int Rank, string ItemId, double Score, Explanation Reason);

/// <summary>
/// A fitted model ready to serve: the recommender, the data it was fitted on (all interactions), its name, version
/// and parameters. Saved to and loaded from a versioned binary artifact (<see cref="Save"/>, <see cref="Load"/>) so
/// that the portal starts without retraining. <see cref="Recommend"/> is thread-safe.
/// Artifact layout (little-endian, BinaryWriter): magic <c>PORTALRM</c>, int format version (<see cref="FormatVersion"/>),
/// model name, version label, parameter count and (name, double) pairs, fitted-at UTC ticks, the data
/// (<see cref="InteractionSet.Write"/>), then the model's state (<see cref="IRecommender.SaveState"/>).
/// </summary>
public sealed class ServingModel
{
    /// <summary>The artifact format version this build writes and reads.</summary>
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "PORTALRM"u8.ToArray();

    /// <summary>Wraps a fitted recommender.</summary>
    /// <param name="recommender">A fitted model.</param>
    /// <param name="version">Version label of this trained model.</param>
    /// <param name="fittedAt">When it was fitted (UTC).</param>
    /// <exception cref="InvalidOperationException">The model is not fitted.</exception>
    public ServingModel(IRecommender recommender, string version, DateTime fittedAt)
    {
        _ = recommender.Data;
        Recommender = recommender;
        Version = version;
        FittedAt = fittedAt;
    }

    /// <summary>The fitted recommender.</summary>
    public IRecommender Recommender { get; }
    /// <summary>The data it was fitted on.</summary>
    public InteractionSet Data => Recommender.Data;
    /// <summary>Model name.</summary>
    public string ModelName => Recommender.Name;
    /// <summary>Version label.</summary>
    public string Version { get; }
    /// <summary>When it was fitted (UTC).</summary>
    public DateTime FittedAt { get; }

    /// <summary>
    /// The top <paramref name="n"/> items for <paramref name="userId"/> with explanations. A user unknown to the model
    /// gets the popularity list. Ties are broken by item id ordinal.
    /// </summary>
    /// <param name="userId">The customer's source id.</param>
    /// <param name="n">List length, 1 to 1000.</param>
    /// <param name="excludeSeen">True to leave out the user's past items.</param>
    /// <param name="explainItems">Past items per explanation.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> out of range.</exception>
    public IReadOnlyList<RecommendedItem> Recommend(string userId, int n = 20, bool excludeSeen = false, int explainItems = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(n, 1000);
        var data = Data;
        var u = data.UserIndex(userId);
        var scores = new float[data.ItemCount];
        Recommender.Score(u, scores);
        var top = Ranking.TopK(scores, n, excludeSeen && u >= 0 ? data.ItemsOf(u) : default);
        var result = new RecommendedItem[top.Length];
        for (var r = 0; r < top.Length; r++)
            result[r] = new RecommendedItem(r + 1, data.Items[top[r]], scores[top[r]], Recommender.Explain(u, top[r], explainItems));
        return result;
    }

    /// <summary>Writes the artifact to <paramref name="stream"/> (left open).</summary>
    public void Save(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(FormatVersion);
        w.Write(ModelName);
        w.Write(Version);
        w.Write(Recommender.Parameters.Count);
        foreach (var (k, v) in Recommender.Parameters) { w.Write(k); w.Write(v); }
        w.Write(FittedAt.Ticks);
        Data.Write(w);
        Recommender.SaveState(w);
    }

    /// <summary>Reads an artifact written by <see cref="Save"/> (the stream is left open).</summary>
    /// <exception cref="InvalidDataException">Not an artifact, another format version, or inconsistent content.</exception>
    /// <exception cref="ArgumentException">The artifact names a model this build does not have.</exception>
    public static ServingModel Load(Stream stream)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var magic = r.ReadBytes(Magic.Length);
        if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException("Not a Portal model artifact.");
        var format = r.ReadInt32();
        if (format != FormatVersion) throw new InvalidDataException($"Artifact format {format} is not supported (expected {FormatVersion}).");
        var name = r.ReadString();
        var version = r.ReadString();
        var count = r.ReadInt32();
        var parameters = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++) parameters[r.ReadString()] = r.ReadDouble();
        var fittedAt = new DateTime(r.ReadInt64(), DateTimeKind.Utc);
        var data = InteractionSet.Read(r);
        var model = Recommenders.Create(name, parameters);
        model.LoadState(r, data);
        return new ServingModel(model, version, fittedAt);
    }
}
