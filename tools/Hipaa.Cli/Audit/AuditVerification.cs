using System.Globalization;
using Hipaa.EfCore.Auditing.Integrity;

namespace Hipaa.Cli.Audit;

/// <summary>
/// <c>hipaa audit verify</c>: walks the chain and its checkpoints and prints a one-paragraph verdict. Exit 0 only when the trail
/// verified and is anchored (by a public key or an exported checkpoint file); on a change, names the first broken record on the
/// error stream and exits 1; a consistent but unanchored chain exits 4 (docs/audit.md, "Verification").
/// </summary>
internal static class AuditVerification
{
    public static async Task<int> RunAsync(
        string provider,
        string connection,
        IReadOnlyList<string> checkpointFiles,
        IReadOnlyList<string> publicKeyFiles,
        bool allowEmptyTrail,
        bool insecureAcceptUnanchored,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        var exported = new List<AuditCheckpoint>();
        CheckpointSignatureVerifier? keys = null;
        try
        {
            foreach (string file in checkpointFiles)
            {
                exported.AddRange(await AuditCheckpointFile.ReadAsync(file, cancellationToken).ConfigureAwait(false));
            }

            if (publicKeyFiles.Count > 0)
            {
                string pem = string.Join('\n', publicKeyFiles.Select(File.ReadAllText));
                keys = CheckpointSignatureVerifier.FromPem(pem, string.Join(", ", publicKeyFiles));
            }
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            error.WriteLine(ex.Message);
            return ExitCodes.InvalidInput;
        }

        using (keys)
        {
            AuditVerificationResult result;
            try
            {
                var verifier = new AuditVerifier(
                    AuditStoreConnection.Options(provider, connection),
                    TimeProvider.System,
                    new AuditVerificationOptions
                    {
                        Signatures = keys,
                        ExportedCheckpoints = exported,
                        AllowEmptyTrail = allowEmptyTrail,
                        InsecureAcceptUnanchored = insecureAcceptUnanchored,
                    });
                result = await verifier.VerifyAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex))
            {
                return AuditStoreConnection.ReportStoreFailure(error, provider, ex);
            }

            string extent = result.RecordsVerified == 0
                ? "no sealed records"
                : string.Create(CultureInfo.InvariantCulture, $"{result.RecordsVerified} records (positions {result.FirstPosition}..{result.LastPosition})");
            if (result.Problem is { Kind: AuditChainProblemKind.Unanchored } unanchored)
            {
                error.WriteLine($"Audit trail NOT verified: the chain is consistent but UNANCHORED. {unanchored}");
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Checked {extent} and {result.CheckpointsVerified} checkpoints; nothing wrong was found, but nothing outside the database vouches for them."));
                return AuditExitCodes.Unanchored;
            }

            if (result.Problem is { } problem)
            {
                error.WriteLine($"Audit trail verification FAILED: {problem}");
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Checked {extent} and {result.CheckpointsVerified} checkpoints before the problem."));
                return ExitCodes.CheckFailed;
            }

            if (result.IsEmpty)
            {
                output.WriteLine("Audit trail verified: it is empty (no sealed records, no checkpoints), accepted as a new trail (--allow-empty-trail).");
                WriteUnsealed(output, result);
                return ExitCodes.Success;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Audit trail verified: {extent}, {result.CheckpointsVerified} checkpoints ({exported.Count} from exported files)."));
            if (result.IsAnchored)
            {
                output.WriteLine(keys is not null
                    ? $"Anchored: checkpoint signatures checked with trusted key(s) {string.Join(", ", keys.Fingerprints)}."
                    : string.Create(CultureInfo.InvariantCulture, $"Anchored: the exported checkpoints cover the head (position {result.AnchoredThrough}). Checkpoint signatures were NOT checked: pass --public-key to check them."));
            }
            else
            {
                string reach = result.AnchoredThrough > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"anchored only through position {result.AnchoredThrough}")
                    : "not anchored at all";
                error.WriteLine($"warning: INSECURE: the chain is {reach} (--insecure-accept-unanchored): a rewrite re-signed with another key would pass. Pass --public-key or --checkpoints to anchor it.");
                output.WriteLine($"UNANCHORED: the chain is {reach}; it is consistent, but nothing outside the database vouches for it.");
            }

            if (result.FirstPosition > 1)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Positions 1..{result.FirstPosition - 1} were purged under the retention rule; a signed checkpoint anchors the chain's start."));
            }

            WriteUnsealed(output, result);
            return ExitCodes.Success;
        }
    }

    private static void WriteUnsealed(TextWriter output, AuditVerificationResult result)
    {
        if (result.UnsealedRecords > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.UnsealedRecords} records await sealing and are not yet tamper-evident."));
        }
    }
}
