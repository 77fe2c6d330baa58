namespace Portal.Core.Access;

/// <summary>The three roles of the portal (ASP.NET Core Identity role names).</summary>
public static class PortalRoles
{
    /// <summary>A merchant's staff: sees only that merchant's products, campaigns and batches; creates campaigns.</summary>
    public const string Merchant = "Merchant";

    /// <summary>Operations staff: approve, reject, pause and resume push batches (never their own).</summary>
    public const string Operations = "Operations";

    /// <summary>Administrators: run the platform (models, jobs, audit log, Hangfire dashboard).</summary>
    public const string Admin = "Admin";

    /// <summary>All roles, in display order.</summary>
    public static readonly IReadOnlyList<string> All = [Merchant, Operations, Admin];
}
