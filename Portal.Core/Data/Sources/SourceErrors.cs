namespace Portal.Core.Data.Sources;

/// <summary>A row of a source file that was rejected: row number (1 = header), column and reason.</summary>
/// <param name="Row">Row number in the file; the header row is 1 (for JSON lines: the line number).</param>
/// <param name="Column">The column or field at fault.</param>
/// <param name="Value">The value as read, if any.</param>
/// <param name="Reason">Why the row was rejected.</param>
public sealed record SourceRejection(long Row, string Column, string? Value, string Reason);

/// <summary>
/// Thrown when a file cannot be read at all: its header lacks required columns or holds unknown ones,
/// or it is not in the expected format. Nothing is stored for such a file.
/// </summary>
public sealed class SourceFormatException : Exception
{
    /// <summary>Creates the error for <paramref name="fileName"/>.</summary>
    public SourceFormatException(string fileName, string message, IReadOnlyList<string>? missingColumns = null, IReadOnlyList<string>? unknownColumns = null)
        : base($"{fileName}: {message}")
    {
        FileName = fileName;
        MissingColumns = missingColumns ?? [];
        UnknownColumns = unknownColumns ?? [];
    }

    /// <summary>The file that was refused.</summary>
    public string FileName { get; }
    /// <summary>Required columns that the header lacks.</summary>
    public IReadOnlyList<string> MissingColumns { get; }
    /// <summary>Columns of the header that the format does not know.</summary>
    public IReadOnlyList<string> UnknownColumns { get; }
}
