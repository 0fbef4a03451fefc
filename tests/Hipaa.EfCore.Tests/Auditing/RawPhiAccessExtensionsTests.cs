using System.Data.Common;
using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>Raw ADO.NET on the context's connection is out of EF Core's interception; the application records it with RecordRawPhiAccessAsync.</summary>
public abstract class RawPhiAccessExtensionsTests : IDisposable
{
    private const string Rename = "UPDATE \"Patients\" SET \"DisplayName\" = @name WHERE \"Id\" = @id";
    private readonly TestDatabase _database;

    protected RawPhiAccessExtensionsTests(string provider) => _database = TestDatabase.Create(provider);

    public void Dispose()
    {
        _database.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task RecordRawPhiAccessAsync_RawRead_IsRecordedBeforeTheCommandRuns()
    {
        using var host = new AuditHost(_database);
        var patient = await AddPatientAsync(host);
        var before = host.Records().Count;
        const string select = "SELECT \"DisplayName\" FROM \"Patients\" WHERE \"Id\" = @id";
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            await context.RecordRawPhiAccessAsync<Patient>(AuditAction.Read, [patient.Id.ToString()], select);
            Assert.Single(host.Records().Skip(before)); // committed before the command runs

            var connection = context.Database.GetDbConnection();
            await context.Database.OpenConnectionAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = select;
            AddParameter(command, "@id", IdParameter(patient.Id));
            Assert.Equal("A", await command.ExecuteScalarAsync());
        }

        var read = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Read, "Patient", "Demographics", patient.Id.ToString()), (read.Action, read.Entity, read.Categories, read.PatientId));
        Assert.Equal(AuditRuntime.Fingerprint(select), read.QueryFingerprint);
        Assert.Contains("Ssn", read.Fields.Split(AuditEntry.ListSeparator));
        Assert.Equal("u-ther-1", read.ActorId);
    }

    [Fact]
    public async Task RecordRawPhiAccessAsync_RawWriteInATransaction_CommitsAndRollsBackWithTheWrite()
    {
        using var host = new AuditHost(_database);
        var patient = await AddPatientAsync(host);
        var before = host.Records().Count;
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            foreach (var commit in new[] { false, true })
            {
                await using var transaction = await context.Database.BeginTransactionAsync();
                await context.RecordRawPhiAccessAsync<Patient>(AuditAction.Update, [patient.Id.ToString()], Rename);
                await using (var command = context.Database.GetDbConnection().CreateCommand())
                {
                    command.Transaction = transaction.GetDbTransaction();
                    command.CommandText = Rename;
                    AddParameter(command, "@name", commit ? "B" : "rolled back");
                    AddParameter(command, "@id", IdParameter(patient.Id));
                    Assert.Equal(1, await command.ExecuteNonQueryAsync());
                }

                if (commit)
                {
                    await transaction.CommitAsync();
                }
                else
                {
                    await transaction.RollbackAsync();
                    Assert.Equal(before, host.Records().Count);
                }
            }
        }

        var update = Assert.Single(host.Records().Skip(before));
        Assert.Equal((AuditAction.Update, "Patient", patient.Id.ToString()), (update.Action, update.Entity, update.PatientId));
        Assert.Equal(AuditRuntime.Fingerprint(Rename), update.QueryFingerprint);
    }

    [Fact]
    public async Task RecordRawPhiAccessAsync_WriteWithoutATransactionOrNonPhiType_IsRefused()
    {
        using var host = new AuditHost(_database);
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => context.RecordRawPhiAccessAsync<Patient>(AuditAction.Delete, ["p-1"], "DELETE FROM \"Patients\""));
            Assert.Contains("BeginTransactionAsync", failure.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ArgumentException>(() => context.RecordRawPhiAccessAsync<Legacy>(AuditAction.Read, [], "SELECT 1"));
        }

        await using (var context = host.CreateContext())
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => context.RecordRawPhiAccessAsync<Patient>(AuditAction.Read, ["p-1"], "SELECT 1"));
            Assert.Contains("AccessContext.Begin", failure.Message, StringComparison.Ordinal);
        }

        Assert.Empty(host.Records());
    }

    /// <summary>How the provider stores a Guid key (SQLite: upper-case text, as EF Core writes it).</summary>
    private object IdParameter(Guid id) => _database.ConnectionString.StartsWith("Data Source=", StringComparison.Ordinal) ? id.ToString().ToUpperInvariant() : id;

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static async Task<Patient> AddPatientAsync(AuditHost host)
    {
        var patient = new Patient { Id = Guid.NewGuid(), DisplayName = "A", Ssn = "123-45-6789" };
        using (AccessContext.Begin(AuditHost.Therapist()))
        await using (var context = host.CreateContext())
        {
            context.Add(patient);
            await context.SaveChangesAsync();
        }

        return patient;
    }
}

public sealed class SqliteRawPhiAccessExtensionsTests() : RawPhiAccessExtensionsTests("sqlite");

public sealed class PostgresRawPhiAccessExtensionsTests() : RawPhiAccessExtensionsTests("postgres");
