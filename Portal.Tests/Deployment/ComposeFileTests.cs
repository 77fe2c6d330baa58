using System.Diagnostics;
using Portal.Tests.Browser;

namespace Portal.Tests.Deployment;

/// <summary>A fact that needs Debian's <c>docker-compose</c> binary (no engine): skipped, with the reason, when it is absent.</summary>
public sealed class DockerComposeFactAttribute : FactAttribute
{
    /// <summary>The binary, or null when not on PATH.</summary>
    public static readonly string? Binary = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, "docker-compose")).FirstOrDefault(File.Exists);

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the binary is missing.</summary>
    public DockerComposeFactAttribute()
    {
        if (Binary is null) Skip = "docker-compose is not installed (apt-get install docker-compose; ./test.sh installs it)";
    }
}

/// <summary>
/// docker-compose.yml parses and resolves (Debian's docker-compose 1.29, <c>config</c>, no Docker engine needed), keeps
/// its secret out of the file, and has the production shape of issue 8: SQL Server, web and GPU workers on SQL Server
/// storage, health checks, volumes.
/// </summary>
public class ComposeFileTests
{
    private static readonly string Root = PortalServerFixture.RepositoryRoot;
    private const string Password = "Compose-Test-Passw0rd!";

    /// <summary>Runs docker-compose with an env file made from .env.example plus <paramref name="overrides"/>; returns exit code and output.</summary>
    private static (int Code, string Stdout, string Stderr) Compose(IReadOnlyDictionary<string, string> overrides, params string[] args)
    {
        var envFile = Path.Combine(Path.GetTempPath(), $"portal-compose-{Guid.NewGuid():n}.env");
        var lines = File.ReadAllLines(Path.Combine(Root, ".env.example")).ToList();
        foreach (var (key, value) in overrides)
        {
            lines.RemoveAll(l => l.StartsWith(key + "=", StringComparison.Ordinal));
            lines.Add($"{key}={value}");
        }
        File.WriteAllLines(envFile, lines);
        try
        {
            var psi = new ProcessStartInfo(DockerComposeFactAttribute.Binary!)
            {
                WorkingDirectory = Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in new[] { "--env-file", envFile, "-f", Path.Combine(Root, "docker-compose.yml") }.Concat(args)) psi.ArgumentList.Add(a);
            // Only the env file speaks: no variable of the test runner's environment leaks in.
            foreach (var key in overrides.Keys.Append("MSSQL_SA_PASSWORD").Append("PORTAL_WORKERS")) psi.Environment.Remove(key);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(60_000), "docker-compose did not finish within 60 s");
            return (p.ExitCode, stdout.Result, stderr.Result);
        }
        finally { File.Delete(envFile); }
    }

    [DockerComposeFact]
    public void Config_is_valid_with_the_example_settings_and_a_password()
    {
        var (code, _, stderr) = Compose(new Dictionary<string, string> { ["MSSQL_SA_PASSWORD"] = Password }, "config", "-q");
        Assert.True(code == 0, $"docker-compose config -q failed ({code}): {stderr}");
    }

    [DockerComposeFact]
    public void Config_refuses_to_resolve_without_the_sa_password_and_says_which_secret_is_missing()
    {
        // .env.example leaves the password empty: the file must not fall back to a default secret.
        var (code, _, stderr) = Compose(new Dictionary<string, string>(), "config", "-q");
        Assert.NotEqual(0, code);
        Assert.Contains("MSSQL_SA_PASSWORD", stderr);
    }

    [DockerComposeFact]
    public void Resolved_config_has_sql_server_storage_health_checks_volumes_and_gpu_workers()
    {
        var (code, yaml, stderr) = Compose(new Dictionary<string, string> { ["MSSQL_SA_PASSWORD"] = Password, ["PORTAL_WORKERS"] = "3" }, "config");
        Assert.True(code == 0, stderr);
        // The secret reaches the containers only through interpolation; the committed file holds none.
        Assert.Contains($"Password={Password}", yaml);
        var raw = File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));
        Assert.DoesNotContain(Password, raw);
        Assert.DoesNotMatch(@"(?i)password\s*[=:]\s*[^\s$""]", raw.Replace("MSSQL_SA_PASSWORD:", ""));

        foreach (var service in new[] { "sqlserver:", "web:", "worker:" }) Assert.Contains(service, yaml);
        Assert.Contains("mcr.microsoft.com/mssql/server:2022-latest", yaml);
        // Web and worker: SQL Server for data and Hangfire storage (the storage follows Database:Provider).
        Assert.Equal(2, CountOf(yaml, "Database__Provider: SqlServer"));
        // Health checks on every service; the web one on /health/ready.
        Assert.Equal(3, CountOf(yaml, "healthcheck:"));
        Assert.Contains("/health/ready", yaml);
        // The worker role, CUDA libtorch, an NVIDIA reservation, and the replica count from the environment.
        Assert.Contains("- worker", yaml);
        Assert.Contains("TORCH_BACKEND: cuda", yaml);
        Assert.Contains("TORCH_BACKEND: cpu", yaml);
        Assert.Contains("driver: nvidia", yaml);
        Assert.Contains("replicas: 3", yaml);
        // Data volumes for SQL Server and the model artifacts.
        Assert.Contains("sqlserver-data:", yaml);
        Assert.Contains("portal-data:", yaml);
    }

    private static int CountOf(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
