using MudBlazor;

namespace Portal.Client.Layout;

/// <summary>The portal's MudBlazor theme: a calm indigo palette, system fonts (no web fonts: the portal runs offline).</summary>
public static class PortalTheme
{
    /// <summary>The theme given to <c>MudThemeProvider</c>.</summary>
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",
            Secondary = "#00897b",
            Tertiary = "#f4511e",
            AppbarBackground = "#283593",
            Background = "#f5f6fa",
            DrawerBackground = "#ffffff",
            DrawerText = "rgba(0,0,0,0.78)",
            DrawerIcon = "#3949ab",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography
            {
                FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                    "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "sans-serif"],
            },
        },
        LayoutProperties = new LayoutProperties { DrawerWidthLeft = "240px" },
    };
}
