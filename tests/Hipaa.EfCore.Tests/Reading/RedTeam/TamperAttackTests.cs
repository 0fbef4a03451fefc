using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Microsoft.EntityFrameworkCore;

namespace Hipaa.EfCore.Tests.Reading.RedTeam;

/// <summary>
/// Someone with write access to the database hides a read after the fact: re-attributes its record to another patient,
/// deletes it, or strips its seal so the sealer takes it again. Verification of the trail an application wrote through
/// its reads must name the change.
/// </summary>
public abstract class TamperAttackTests(string provider) : RedTeamFixture(provider)
{
    [Fact]
    public async Task Verify_ReadRecordReattributedToAnotherPatient_ReportsTheEditedRecord()
    {
        var (position, _) = await ReadAndSealAsync();
        Database.Execute("UPDATE hipaa_audit SET patient_id = @c WHERE chain_position = @p", ("@c", C), ("@p", position));

        var problem = (await VerifyAsync()).Problem;
        Assert.Equal((AuditChainProblemKind.EditedRecord, position), (problem?.Kind, problem?.Position));
    }

    [Fact]
    public async Task Verify_ReadRecordDeleted_ReportsTheMissingPosition()
    {
        var (position, last) = await ReadAndSealAsync();
        Assert.True(position < last, "the record deleted is inside the chain");
        Database.Execute("DELETE FROM hipaa_audit WHERE chain_position = @p", ("@p", position));

        var problem = (await VerifyAsync()).Problem;
        Assert.Equal((AuditChainProblemKind.DeletedRecord, position), (problem?.Kind, problem?.Position));
    }

    [Fact]
    public async Task Verify_NewestReadRecordUnsealedAndEdited_ReportsTruncationAndTheSealerRefusesToResealIt()
    {
        var (_, last) = await ReadAndSealAsync();
        Database.Execute(
            "UPDATE hipaa_audit SET chain_position = NULL, previous_hash = NULL, hash = NULL, sealed_at = NULL, patient_id = @c WHERE chain_position = @p",
            ("@c", C),
            ("@p", last));

        var problem = (await VerifyAsync()).Problem;
        Assert.Equal((AuditChainProblemKind.Truncated, last), (problem?.Kind, problem?.Position));

        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        using var sealer = new AuditSealer(AuditOptions(), signer, TimeProvider.System);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sealer.SealAsync(100));
    }

    [Fact]
    public async Task Verify_IntactTrailOfReads_IsValid()
    {
        var (_, last) = await ReadAndSealAsync();

        var result = await VerifyAsync();
        Assert.True(result.IsValid, result.Problem?.Message);
        Assert.Equal((last, 0L), (result.LastPosition, result.UnsealedRecords));
    }

    /// <summary>Reads as an application does, seals, and returns the position of patient A's read record and the last position.</summary>
    private async Task<(long Position, long Last)> ReadAndSealAsync()
    {
        using (var host = new ShapesHost(Database))
        {
            await ReadAsync(host, db => db.Members.AsNoTracking().OrderBy(m => m.Name).ToListAsync(), rows => Assert.Equal(3, rows.Count));

            // A later read of B alone, so that A's read (one record naming A, B and C) is inside the chain, not its head.
            await ReadAsync(host, db => db.Members.AsNoTracking().Where(m => m.Id == ShapesHost.B).ToListAsync(), rows => Assert.Single(rows));
        }

        using (var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath))
        using (var sealer = new AuditSealer(AuditOptions(), signer, TimeProvider.System))
        {
            await sealer.SealAsync(10_000);
        }

        var records = Database.AuditRecords();
        Assert.All(records, r => Assert.NotNull(r.ChainPosition));
        var read = records.Last(r => r.Action == AuditAction.Read && r.PatientId == A);
        return (read.ChainPosition!.Value, records.Max(r => r.ChainPosition!.Value));
    }

    private async Task<AuditVerificationResult> VerifyAsync()
    {
        using var signer = LocalDevelopmentCheckpointSigner.OpenOrCreate(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        using var keys = CheckpointSignatureVerifier.FromSigner(signer);
        return await new AuditVerifier(AuditOptions(), TimeProvider.System, new AuditVerificationOptions { Signatures = keys }).VerifyAsync();
    }

    private DbContextOptions<AuditDbContext> AuditOptions()
    {
        var builder = new DbContextOptionsBuilder<AuditDbContext>();
        Database.Use(builder);
        return builder.Options;
    }
}

public sealed class SqliteTamperAttackTests() : TamperAttackTests("sqlite");

public sealed class PostgresTamperAttackTests() : TamperAttackTests("postgres");
