using System.Diagnostics;
using Hipaa.EfCore.Auditing.Integrity;

namespace Hipaa.Samples.Clinic.Compliance;

/// <summary>
/// Verifies the audit trail's hash chain and signed checkpoints. The SDK's verifier (<c>AuditVerifier</c>) is not public
/// API, so the sample runs the compliance officer's tool, <c>hipaa audit verify</c> (tools/Hipaa.Cli, referenced by the
/// sample and copied next to it), against the signer's exported public key.
/// </summary>
public static class TrailVerification
{
    /// <summary>Exit code of <c>hipaa audit verify</c>: the chain is consistent and anchored.</summary>
    public const int Verified = 0;

    /// <summary>Exit code of <c>hipaa audit verify</c>: the trail was changed, emptied or cannot be trusted.</summary>
    public const int Failed = 1;

    /// <summary>Exit code of <c>hipaa audit verify</c>: consistent but not anchored.</summary>
    public const int Unanchored = 4;

    /// <summary>Exports the development signer's public key (once) to <see cref="ClinicSettings.PublicKeyFile"/>.</summary>
    /// <param name="settings">Where the data lives.</param>
    /// <returns>The public key file.</returns>
    public static string ExportPublicKey(ClinicSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(settings.SigningKeyFile);
        File.WriteAllText(settings.PublicKeyFile, signer.ExportPublicKeyPem());
        return settings.PublicKeyFile;
    }

    /// <summary>The command a compliance officer would type for the same check.</summary>
    /// <param name="settings">Where the data lives.</param>
    /// <returns>The command line.</returns>
    public static string CommandLine(ClinicSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return $"dotnet run --project tools/Hipaa.Cli -- audit verify --provider {settings.CliProvider} --connection \"{Redacted(settings)}\" --public-key \"{settings.PublicKeyFile}\"";
    }

    /// <summary>Runs <c>hipaa audit verify</c> and returns its exit code and what it printed.</summary>
    /// <param name="settings">Where the data lives.</param>
    /// <param name="cancellationToken">Cancels the wait (the tool is killed).</param>
    /// <returns>The exit code and the tool's output (standard output, then standard error).</returns>
    /// <exception cref="InvalidOperationException">The tool is not next to the sample, or could not be started.</exception>
    public static async Task<(int ExitCode, string Output)> VerifyAsync(ClinicSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string publicKey = ExportPublicKey(settings);
        string tool = Path.Combine(AppContext.BaseDirectory, "Hipaa.Cli.dll");
        if (!File.Exists(tool))
        {
            throw new InvalidOperationException($"The audit tool was not found at {tool}. Build the sample (it references tools/Hipaa.Cli) and run it from its output folder.");
        }

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The tool's own runtimeconfig names only the .NET runtime; the sample's adds ASP.NET Core's shared framework, which
        // holds the Microsoft.Extensions assemblies the build did not copy next to the tool, and the sample's deps file
        // resolves them to that framework.
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add("--runtimeconfig");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Hipaa.Samples.Clinic.runtimeconfig.json"));
        start.ArgumentList.Add("--depsfile");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Hipaa.Samples.Clinic.deps.json"));
        foreach (string argument in new[] { tool, "audit", "verify", "--provider", settings.CliProvider, "--connection", settings.ClinicConnectionString, "--public-key", publicKey })
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException("The audit tool could not be started.");
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, ((await output).Trim() + Environment.NewLine + (await error).Trim()).Trim());
    }

    private static string Redacted(ClinicSettings settings) =>
        settings.UsesPostgres ? "Host=…" : settings.ClinicConnectionString;
}
