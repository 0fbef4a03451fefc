using System.Globalization;
using Hipaa.EfCore.Auditing.Integrity;

namespace Hipaa.Cli.Audit;

/// <summary>
/// <c>hipaa audit verify</c>: walks the chain and its checkpoints and prints a one-paragraph verdict; on a problem, names the
/// first broken record on the error stream and exits 1.
/// </summary>
internal static class AuditVerification
{
    public static async Task<int> RunAsync(
        string provider,
        string connection,
        IReadOnlyList<string> checkpointFiles,
        IReadOnlyList<string> publicKeyFiles,
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
                    new AuditVerificationOptions { Signatures = keys, ExportedCheckpoints = exported });
                result = await verifier.VerifyAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex))
            {
                return AuditStoreConnection.ReportStoreFailure(error, provider, ex);
            }

            string extent = result.RecordsVerified == 0
                ? "no sealed records"
                : string.Create(CultureInfo.InvariantCulture, $"{result.RecordsVerified} records (positions {result.FirstPosition}..{result.LastPosition})");
            if (result.Problem is { } problem)
            {
                error.WriteLine($"Audit trail verification FAILED: {problem}");
                error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Checked {extent} and {result.CheckpointsVerified} checkpoints before the problem."));
                return ExitCodes.CheckFailed;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Audit trail verified: {extent}, {result.CheckpointsVerified} checkpoints ({exported.Count} from exported files)."));
            output.WriteLine(keys is null
                ? "Checkpoint signatures were NOT checked: pass --public-key to check them; without it a rewritten chain with re-made checkpoints is not detected."
                : $"Checkpoint signatures checked with key(s) {string.Join(", ", keys.Fingerprints)}.");
            if (result.FirstPosition > 1)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Positions 1..{result.FirstPosition - 1} were purged under the retention rule; a signed checkpoint anchors the chain's start."));
            }

            if (result.UnsealedRecords > 0)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.UnsealedRecords} records await sealing and are not yet tamper-evident."));
            }

            return ExitCodes.Success;
        }
    }
}
