namespace Portal.Client.Components;

/// <summary>Helpers for the pages' text searches (SQL LIKE, case-insensitive for Latin letters on SQLite and SQL Server).</summary>
public static class Search
{
    /// <summary>The escape character used in <see cref="LikePattern"/>.</summary>
    public const string Escape = "\\";

    /// <summary>A <c>%text%</c> pattern with <c>%</c>, <c>_</c>, <c>[</c> and the escape character escaped.</summary>
    /// <param name="text">What the user typed.</param>
    public static string LikePattern(string text) =>
        "%" + text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_").Replace("[", "\\[") + "%";
}
