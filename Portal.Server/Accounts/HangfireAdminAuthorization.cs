using Hangfire.Dashboard;
using Portal.Core.Access;

namespace Portal.Server.Accounts;

/// <summary>
/// Lets only signed-in administrators (cookie user in role <see cref="PortalRoles.Admin"/>) into the Hangfire
/// dashboard. Hangfire answers 401 to anonymous requests and 403 to signed-in users who are not admins.
/// </summary>
public sealed class HangfireAdminAuthorization : IDashboardAsyncAuthorizationFilter
{
    /// <inheritdoc />
    public Task<bool> AuthorizeAsync(DashboardContext context)
    {
        var user = context.GetHttpContext().User;
        return Task.FromResult(user.Identity?.IsAuthenticated == true && user.IsInRole(PortalRoles.Admin));
    }
}
