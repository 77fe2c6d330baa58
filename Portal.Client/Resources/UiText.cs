namespace Portal.Client.Resources;

/// <summary>
/// Marker type of the UI's string resources (<c>UiText.resx</c>: English, the default; <c>UiText.zh-CN.resx</c>:
/// Simplified Chinese). Components inject <c>IStringLocalizer&lt;UiText&gt;</c>.
/// </summary>
public sealed class UiText
{
}
