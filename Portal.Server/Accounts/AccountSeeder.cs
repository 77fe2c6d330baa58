using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Access;
using Portal.Core.Catalog;
using Portal.Core.Data;

namespace Portal.Server.Accounts;

/// <summary>
/// The accounts the first start creates: one per role, a second merchant's account and a second operations user (so
/// that four-eyes approval can be shown). Passwords come from configuration (<c>Seed:Passwords:{Key}</c>, else
/// <c>Seed:Password</c>); when neither is set, a strong password is generated and logged once (Warning) on the start
/// that creates the account. Existing accounts are never changed.
/// </summary>
public static class SeedAccounts
{
    /// <summary>Code of the second merchant created for the demo accounts.</summary>
    public const string SecondMerchantCode = "merchant-b";
    /// <summary>Display name of the second merchant.</summary>
    public const string SecondMerchantName = "Northwind Gifts";

    /// <summary>One seeded account: configuration key, e-mail (also the login name), role and merchant code (merchant accounts only).</summary>
    /// <param name="Key">Configuration key under <c>Seed:Passwords</c>.</param>
    /// <param name="Email">Login name and e-mail.</param>
    /// <param name="Role">Role from <see cref="PortalRoles"/>.</param>
    /// <param name="MerchantCode">Merchant code for a merchant account; null for staff.</param>
    public sealed record Account(string Key, string Email, string Role, string? MerchantCode);

    /// <summary>The seeded accounts.</summary>
    public static readonly IReadOnlyList<Account> All =
    [
        new("Merchant", "merchant@portal.local", PortalRoles.Merchant, Merchant.DefaultCode),
        new("MerchantB", "merchant-b@portal.local", PortalRoles.Merchant, SecondMerchantCode),
        new("Operations", "operations@portal.local", PortalRoles.Operations, null),
        new("Operations2", "ops2@portal.local", PortalRoles.Operations, null),
        new("Admin", "admin@portal.local", PortalRoles.Admin, null),
    ];

    /// <summary>A random 20-character password with upper, lower, digit and symbol characters (cryptographic RNG).</summary>
    public static string GeneratePassword()
    {
        const string upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", lower = "abcdefghijkmnopqrstuvwxyz", digits = "23456789", symbols = "!#%+-=?@";
        const string all = upper + lower + digits + symbols;
        var chars = new char[20];
        chars[0] = upper[RandomNumberGenerator.GetInt32(upper.Length)];
        chars[1] = lower[RandomNumberGenerator.GetInt32(lower.Length)];
        chars[2] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
        chars[3] = symbols[RandomNumberGenerator.GetInt32(symbols.Length)];
        for (var i = 4; i < chars.Length; i++) chars[i] = all[RandomNumberGenerator.GetInt32(all.Length)];
        RandomNumberGenerator.Shuffle(chars.AsSpan());
        return new string(chars);
    }
}

/// <summary>
/// Creates the roles, the merchants the seeded accounts belong to (the default merchant of the bundled UCI data,
/// which the first import then fills, and <see cref="SeedAccounts.SecondMerchantCode"/>) and the accounts of
/// <see cref="SeedAccounts.All"/> that do not exist yet. Runs after the database migration, before the web host
/// serves requests.
/// </summary>
public sealed class AccountSeeder(IServiceScopeFactory scopes, IConfiguration configuration, ILogger<AccountSeeder> logger) : IHostedService
{
    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A configured password breaks the password rules, or Identity refused an account (the message names it and the errors).</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var scope = scopes.CreateScope();
        var sp = scope.ServiceProvider;
        var roles = sp.GetRequiredService<RoleManager<IdentityRole>>();
        var users = sp.GetRequiredService<UserManager<PortalUser>>();
        var db = sp.GetRequiredService<PortalDbContext>();

        foreach (var role in PortalRoles.All)
            if (!await roles.RoleExistsAsync(role))
                Check(await roles.CreateAsync(new IdentityRole(role)), $"role {role}");

        foreach (var (code, name) in new[] { (Merchant.DefaultCode, "Default merchant"), (SeedAccounts.SecondMerchantCode, SeedAccounts.SecondMerchantName) })
            if (!await db.Merchants.AnyAsync(m => m.Code == code, cancellationToken))
                db.Merchants.Add(new Merchant { Code = code, Name = name });
        await db.SaveChangesAsync(cancellationToken);
        var merchants = await db.Merchants.ToDictionaryAsync(m => m.Code, m => m.Id, StringComparer.OrdinalIgnoreCase, cancellationToken);

        foreach (var account in SeedAccounts.All)
        {
            if (await users.FindByNameAsync(account.Email) is not null) continue;
            var configured = configuration[$"Seed:Passwords:{account.Key}"] ?? configuration["Seed:Password"];
            var password = configured ?? SeedAccounts.GeneratePassword();
            var user = new PortalUser
            {
                UserName = account.Email,
                Email = account.Email,
                EmailConfirmed = true,
                LockoutEnabled = true,
                MerchantId = account.MerchantCode is null ? null : merchants[account.MerchantCode],
            };
            Check(await users.CreateAsync(user, password), $"account {account.Email}" + (configured is null ? "" : $" (password from Seed:Passwords:{account.Key} or Seed:Password)"));
            Check(await users.AddToRoleAsync(user, account.Role), $"role of {account.Email}");
            if (configured is null)
                logger.LogWarning("First start: created {Role} account {Email} with the generated password {Password} (shown once; set Seed:Passwords:{Key} to choose it).",
                    account.Role, account.Email, password, account.Key);
            else
                logger.LogInformation("First start: created {Role} account {Email} with the configured password.", account.Role, account.Email);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
            throw new InvalidOperationException($"Seeding {what} failed: " + string.Join("; ", result.Errors.Select(e => $"{e.Code}: {e.Description}")));
    }
}
