using System.Diagnostics;
using System.Globalization;
using Hipaa.EfCore.Auditing.Integrity;

namespace Hipaa.Cli.Audit;

/// <summary><c>hipaa audit checkpoints export</c>, <c>public-key</c> and <c>seal</c>.</summary>
internal static class AuditCheckpointCommands
{
    public static async Task<int> ExportAsync(
        (string Provider, string Connection) store,
        string? outFile,
        long after,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        TextWriter destination;
        try
        {
            destination = outFile is null ? output : new StreamWriter(outFile, append: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"Cannot write '{outFile}': {ex.Message}");
            return ExitCodes.InvalidInput;
        }

        long written;
        try
        {
            written = await AuditCheckpointFile
                .ExportAsync(AuditStoreConnection.Options(store.Provider, store.Connection), destination, after, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex))
        {
            return AuditStoreConnection.ReportStoreFailure(error, store.Provider, ex);
        }
        finally
        {
            if (outFile is not null)
            {
                await destination.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (outFile is not null)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Exported {written} checkpoints to {outFile}."));
        }

        return ExitCodes.Success;
    }

    public static int PublicKey(string keyFile, TextWriter output, TextWriter error)
    {
        try
        {
            using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(keyFile);
            output.Write(signer.ExportPublicKeyPem());
            output.WriteLine();
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine(ex.Message);
            return ExitCodes.InvalidInput;
        }
    }

    public static async Task<int> SealAsync(
        (string Provider, string Connection) store,
        string keyFile,
        int maxRecords,
        TimeSpan untilIdle,
        TextWriter output,
        TextWriter error,
        CancellationToken cancellationToken)
    {
        LocalDevelopmentCheckpointSigner signer;
        try
        {
            signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(keyFile);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine(ex.Message);
            return ExitCodes.InvalidInput;
        }

        using (signer)
        using (var sealer = new AuditSealer(AuditStoreConnection.Options(store.Provider, store.Connection), signer, TimeProvider.System))
        {
            error.WriteLine($"warning: signing checkpoints with the DEVELOPMENT-ONLY key {signer.KeyId} ({signer.FilePath}); use an HSM or KMS signer in production.");
            output.WriteLine($"Sealing audit records (process {Environment.ProcessId}).");
            output.Flush();
            long total = 0;
            int seals = 0;
            var idle = Stopwatch.StartNew();
            try
            {
                while (true)
                {
                    AuditSealResult result = await sealer.SealAsync(maxRecords, cancellationToken).ConfigureAwait(false);
                    if (result.RecordsSealed > 0)
                    {
                        total += result.RecordsSealed;
                        seals++;
                        idle.Restart();
                        continue;
                    }

                    if (idle.Elapsed >= untilIdle)
                    {
                        break;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (AuditStoreConnection.IsStoreFailure(ex))
            {
                return AuditStoreConnection.ReportStoreFailure(error, store.Provider, ex);
            }
            catch (InvalidOperationException ex)
            {
                error.WriteLine(ex.Message);
                return ExitCodes.CheckFailed;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Sealed {total} records in {seals} seals."));
            return ExitCodes.Success;
        }
    }
}
