using System.Diagnostics;
using System.Text.RegularExpressions;
using Hipaa.EfCore.Auditing;
using Hipaa.Testing;

namespace Hipaa.Cli.Tests.Audit;

/// <summary>The tool as real processes: what an operator sees, and two processes sealing one PostgreSQL chain at once.</summary>
public sealed partial class AuditCommandProcessTests
{
    [Fact]
    public async Task HipaaProcess_VerifyOfEditedSqliteTrail_ExitsOneNamingTheRecord()
    {
        using var database = new AuditTrailDatabase("sqlite");
        await database.SealAsync(batches: 3, perBatch: 4);
        Guid? edited = database.Tamper("edit");

        using Process process = Start(["audit", "verify", .. database.Store, "--public-key", database.PublicKeyPath]);
        (string output, string error) = await WaitAsync(process);

        Assert.Equal(1, process.ExitCode);
        Assert.Empty(output);
        Assert.Contains($"Audit trail verification FAILED: EditedRecord at position 7 (record {edited})", error, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task HipaaProcesses_TwoSealersOnOnePostgres_OneUnbrokenChainWithEveryRecordOnce()
    {
        using var database = new AuditTrailDatabase("postgres");
        database.Append(10);
        using Process first = Start(["audit", "seal", .. database.Store, "--signing-key", database.KeyPath, "--max", "3", "--until-idle", "3"]);
        using Process second = Start(["audit", "seal", .. database.Store, "--signing-key", database.KeyPath, "--max", "3", "--until-idle", "3"]);
        Assert.StartsWith("Sealing audit records", await first.StandardOutput.ReadLineAsync(), StringComparison.Ordinal);
        Assert.StartsWith("Sealing audit records", await second.StandardOutput.ReadLineAsync(), StringComparison.Ordinal);

        var appended = new List<Guid>();
        for (int batch = 0; batch < 150; batch++)
        {
            appended.AddRange(database.Append(4).Select(e => e.RecordId));
        }

        (string firstOutput, string firstError) = await WaitAsync(first);
        (string secondOutput, string secondError) = await WaitAsync(second);

        Assert.True(first.ExitCode == 0, firstError);
        Assert.True(second.ExitCode == 0, secondError);
        int sealedByFirst = SealedCount(firstOutput);
        int sealedBySecond = SealedCount(secondOutput);
        Assert.True(sealedByFirst > 0 && sealedBySecond > 0, $"Both processes should have sealed: {sealedByFirst} and {sealedBySecond}.");
        Assert.Equal(610, sealedByFirst + sealedBySecond);

        List<AuditEntry> chain = database.Sealed();
        Assert.Equal(Enumerable.Range(1, 610).Select(p => (long)p), chain.Select(e => e.ChainPosition!.Value));
        Assert.Equal(610, chain.Select(e => e.RecordId).Distinct().Count());
        Assert.Subset(chain.Select(e => e.RecordId).ToHashSet(), appended.ToHashSet());

        using Process verify = Start(["audit", "verify", .. database.Store, "--public-key", database.PublicKeyPath]);
        (string verifyOutput, string verifyError) = await WaitAsync(verify);
        Assert.True(verify.ExitCode == 0, verifyError);
        Assert.Contains("610 records (positions 1..610)", verifyOutput, StringComparison.Ordinal);
    }

    private static int SealedCount(string output) =>
        int.Parse(SealedLine().Match(output).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Sealed (\d+) records")]
    private static partial Regex SealedLine();

    private static Process Start(string[] args)
    {
        string tool = Path.Combine(AppContext.BaseDirectory, "Hipaa.Cli.dll");
        Assert.True(File.Exists(tool), $"{tool} is missing; the test project references tools/Hipaa.Cli.");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(tool);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    private static async Task<(string Output, string Error)> WaitAsync(Process process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        Task<string> output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        Task<string> error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (await output, await error);
    }
}
