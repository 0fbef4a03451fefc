using System.Globalization;
using Hipaa.Auditing;
using Hipaa.Cli.Audit;
using Hipaa.Cli.Inventory;
using Hipaa.EfCore.Auditing.Integrity;
using Hipaa.EfCore.Auditing.Reports;
using Hipaa.Encryption;

namespace Hipaa.Cli.Breach;

/// <summary>
/// <c>hipaa breach assess</c>: verifies the audit trail, reads the key table and (with <c>--assembly</c>) the application's model,
/// reads the trail as the CLI's access context (the read is itself recorded, as an export of the trail), assesses and writes.
/// </summary>
internal static class BreachAssessmentCommand
{
    /// <summary>Everything the command needs besides the target.</summary>
    /// <param name="AuditStore">The audit store (provider, connection string).</param>
    /// <param name="KeyStore">The key store (provider, connection string).</param>
    /// <param name="AssemblyPath">The EHR's assembly, or null.</param>
    /// <param name="ContextName">The DbContext to use, or null for all.</param>
    /// <param name="CheckpointFiles">Exported checkpoint files that anchor the trail.</param>
    /// <param name="PublicKeyFiles">Trusted checkpoint-signing public keys.</param>
    /// <param name="Discovered">The date of discovery.</param>
    /// <param name="Format">markdown or json.</param>
    internal sealed record Inputs(
        (string Provider, string Connection) AuditStore,
        (string Provider, string Connection) KeyStore,
        string? AssemblyPath,
        string? ContextName,
        IReadOnlyList<string> CheckpointFiles,
        IReadOnlyList<string> PublicKeyFiles,
        DateOnly Discovered,
        string Format);

    public static async Task<int> RunAsync(BreachTarget target, Inputs inputs, AccessContext access, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        IReadOnlyList<ModelInventory> models = [];
        if (inputs.AssemblyPath is not null)
        {
            try
            {
                models = ApplicationModelLoader.Load(inputs.AssemblyPath, inputs.ContextName);
            }
            catch (InspectionException ex)
            {
                error.WriteLine(ex.Message);
                return ExitCodes.InvalidInput;
            }
        }

        IReadOnlyList<DataKeyRecord> keys;
        try
        {
            keys = await KeyTable.ReadAsync(inputs.KeyStore.Provider, inputs.KeyStore.Connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex))
        {
            error.WriteLine($"Could not read the key table ({inputs.KeyStore.Provider}): {ex.GetBaseException().Message}");
            error.WriteLine("Check --key-connection and --key-provider, that the database is reachable, and that it holds the hipaa_keys table.");
            return AuditExitCodes.StoreUnavailable;
        }

        if (target.KeyId is { } keyId && keys.All(k => k.Id != keyId))
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"The key table has no key with id {keyId:D} ({keys.Count} keys read from the key store); check --key and --key-connection."));
            return ExitCodes.InvalidInput;
        }

        TrailStatus trail;
        try
        {
            trail = await VerifyAsync(inputs, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex))
        {
            return AuditStoreConnection.ReportStoreFailure(error, inputs.AuditStore.Provider, ex);
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            error.WriteLine(ex.Message);
            return ExitCodes.InvalidInput;
        }

        var records = new List<AuditRecord>();
        try
        {
            using (AccessContext.Begin(access))
            {
                var reports = new AuditReports(AuditStoreConnection.Options(inputs.AuditStore.Provider, inputs.AuditStore.Connection), TimeProvider.System);
                bool windowed = target.Kind != BreachTargetKind.Key;
                await foreach (AuditRecord record in reports.ExportAsync(windowed ? target.From : null, windowed ? target.To : null, cancellationToken).ConfigureAwait(false))
                {
                    records.Add(record);
                }
            }
        }
        catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex) || ex is AuditUnavailableException)
        {
            return AuditStoreConnection.ReportStoreFailure(error, inputs.AuditStore.Provider, ex);
        }

        BreachAssessment assessment = BreachAssessor.Assess(target, trail, inputs.Discovered, records, keys, models);
        if (inputs.Format == "json")
        {
            BreachReportWriter.WriteJson(output, assessment);
        }
        else
        {
            BreachReportWriter.WriteMarkdown(output, assessment);
        }

        if (!trail.Verified)
        {
            error.WriteLine($"warning: the audit trail did not verify: {trail.Summary}");
            return BreachExitCodes.TrailNotVerified;
        }

        return ExitCodes.Success;
    }

    private static async Task<TrailStatus> VerifyAsync(Inputs inputs, CancellationToken cancellationToken)
    {
        var exported = new List<AuditCheckpoint>();
        foreach (string file in inputs.CheckpointFiles)
        {
            exported.AddRange(await AuditCheckpointFile.ReadAsync(file, cancellationToken).ConfigureAwait(false));
        }

        CheckpointSignatureVerifier? signatures = inputs.PublicKeyFiles.Count == 0
            ? null
            : CheckpointSignatureVerifier.FromPem(string.Join('\n', inputs.PublicKeyFiles.Select(File.ReadAllText)), string.Join(", ", inputs.PublicKeyFiles));
        using (signatures)
        {
            var verifier = new AuditVerifier(
                AuditStoreConnection.Options(inputs.AuditStore.Provider, inputs.AuditStore.Connection),
                TimeProvider.System,
                new AuditVerificationOptions { Signatures = signatures, ExportedCheckpoints = exported });
            AuditVerificationResult result = await verifier.VerifyAsync(cancellationToken).ConfigureAwait(false);
            string extent = string.Create(CultureInfo.InvariantCulture, $"{result.RecordsVerified} sealed records, {result.CheckpointsVerified} checkpoints");
            if (result.Problem is { Kind: AuditChainProblemKind.Unanchored } unanchored)
            {
                return new TrailStatus(false, $"The chain is consistent but UNANCHORED ({extent}): nothing outside the database vouches for it; pass --public-key or --checkpoints. {unanchored}", result.UnsealedRecords);
            }

            if (result.Problem is { } problem)
            {
                return new TrailStatus(false, $"Verification FAILED: {problem}", result.UnsealedRecords);
            }

            string anchor = signatures is not null ? "signatures checked with " + string.Join(", ", signatures.Fingerprints) : "anchored by exported checkpoints";
            return new TrailStatus(true, $"{extent}; {anchor}.", result.UnsealedRecords);
        }
    }
}
