using System.Runtime.CompilerServices;
using Hipaa.Encryption;
using Hipaa.Fhir;
using Hipaa.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hipaa.Fhir.Tests.RightOfAccess;

/// <summary>
/// A fresh database for one test — a SQLite file, or a database in the PostgreSQL cluster scripts/test.sh starts — and a
/// directory for the development KEK and checkpoint signer, shared by every host of the test.
/// </summary>
public sealed class ExportDatabase : IDisposable
{
    private readonly string? _admin;
    private readonly string _name = "hipaa_fhir_" + Guid.NewGuid().ToString("N");

    public ExportDatabase(string provider)
    {
        Provider = provider;
        Directory = System.IO.Directory.CreateTempSubdirectory("hipaa-fhir-").FullName;
        if (provider == "postgres")
        {
            _admin = TestEnvironment.RequirePostgres();
            using var connection = new NpgsqlConnection(_admin);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE \"{_name}\"";
            command.ExecuteNonQuery();
        }
        else if (provider != "sqlite")
        {
            throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown provider.");
        }
    }

    public string Provider { get; }

    public string Directory { get; }

    public void Use(DbContextOptionsBuilder options)
    {
        if (_admin is null)
        {
            options.UseSqlite($"Data Source={Path.Combine(Directory, "records.db")};Default Timeout=30");
        }
        else
        {
            options.UseNpgsql(new NpgsqlConnectionStringBuilder(_admin) { Database = _name }.ConnectionString);
        }
    }

    /// <summary>On SQLite a file of its own (a key must be creatable while the application holds a write transaction).</summary>
    public void UseForKeys(DbContextOptionsBuilder options)
    {
        if (_admin is null)
        {
            options.UseSqlite($"Data Source={Path.Combine(Directory, "keys.db")};Default Timeout=30");
        }
        else
        {
            Use(options);
        }
    }

    /// <summary>An audit store that cannot be reached: a SQLite file in a directory that does not exist, a database that does not.</summary>
    public void UseUnreachable(DbContextOptionsBuilder options)
    {
        if (_admin is null)
        {
            options.UseSqlite($"Data Source={Path.Combine(Directory, "no-such-dir", "audit.db")};Mode=ReadWrite");
        }
        else
        {
            options.UseNpgsql(new NpgsqlConnectionStringBuilder(_admin) { Database = _name + "_missing", Timeout = 5 }.ConnectionString);
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (_admin is not null)
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(_admin);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)";
            command.ExecuteNonQuery();
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>
/// The test application: field encryption, auditing and (unless seeding) policy enforcement over <see cref="RecordsDb"/>,
/// the right-of-access export and one source per entity, each reading through the scoped context.
/// </summary>
public sealed class ExportHost : IDisposable
{
    private readonly ServiceProvider _services;

    public ExportHost(
        ExportDatabase database,
        bool enforce = true,
        Action<DbContextOptionsBuilder>? auditStore = null,
        bool dangerouslyReturnUnauditedReads = false,
        Action<IHipaaBuilder>? sources = null)
    {
        var services = new ServiceCollection();
        IHipaaBuilder hipaa = services.AddHipaa()
            .AddFieldEncryption(o => o.KeyScope = KeyScope.Patient)
            .UseLocalDevelopmentKey(Path.Combine(database.Directory, "dev.kek"))
            .UseKeyStore(database.UseForKeys)
            .AddQueryAuditing(o =>
            {
                o.SealInterval = TimeSpan.FromMinutes(10);
                o.DangerouslyReturnUnauditedReadsWhenAuditStoreIsDown = dangerouslyReturnUnauditedReads;
            })
            .UseAuditStore(auditStore ?? database.Use)
            .UseLocalDevelopmentCheckpointSigner(Path.Combine(database.Directory, "audit.pem"))
            .AddPatientRecordExport();
        if (sources is null)
        {
            hipaa.AddPatientRecordSource<MemberSource>()
                .AddPatientRecordSource<SessionSource>()
                .AddPatientRecordSource<MedicationSource>()
                .AddPatientRecordSource<ProcessNoteSource>();
        }
        else
        {
            sources(hipaa);
        }

        if (enforce)
        {
            hipaa.AddPolicyEnforcement();
        }

        services.AddDbContext<RecordsDb>((sp, options) => database.Use(options.UseHipaa(sp)));
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        using IServiceScope scope = _services.CreateScope();
        scope.ServiceProvider.GetRequiredService<RecordsDb>().Database.EnsureCreated();
    }

    public IServiceProvider Services => _services;

    public IServiceScope CreateScope() => _services.CreateScope();

    public void Dispose() => _services.Dispose();
}

internal sealed class MemberSource(RecordsDb db) : IPatientRecordSource
{
    public async IAsyncEnumerable<PatientRecord> ReadAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Guid id = Guid.Parse(patientId);
        await foreach (Member member in db.Members.AsNoTracking().Where(m => m.Id == id).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            yield return PatientRecord.From(member, RecordMapping.ToFhir);
        }
    }
}

internal sealed class SessionSource(RecordsDb db) : IPatientRecordSource
{
    public async IAsyncEnumerable<PatientRecord> ReadAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Guid id = Guid.Parse(patientId);
        await foreach (CounselingSession session in db.Sessions.AsNoTracking().Where(s => s.MemberId == id).OrderBy(s => s.Id).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            yield return PatientRecord.From(session, RecordMapping.ToFhir);
        }
    }
}

internal sealed class MedicationSource(RecordsDb db) : IPatientRecordSource
{
    public async IAsyncEnumerable<PatientRecord> ReadAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Guid id = Guid.Parse(patientId);
        await foreach (MedicationOrder order in db.Medications.AsNoTracking().Where(m => m.MemberId == id).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            yield return PatientRecord.From(order, RecordMapping.ToFhir);
        }
    }
}

/// <summary>Reads the psychotherapy notes too: the export must withhold them, and EF Core hands them over redacted.</summary>
internal sealed class ProcessNoteSource(RecordsDb db) : IPatientRecordSource
{
    public async IAsyncEnumerable<PatientRecord> ReadAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Guid id = Guid.Parse(patientId);
        await foreach (ProcessNote note in db.ProcessNotes.AsNoTracking().Where(n => n.MemberId == id).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            yield return PatientRecord.From(note, RecordMapping.ToFhir);
        }
    }
}

/// <summary>A broken source: reads every patient's sessions, not only the exported patient's.</summary>
internal sealed class EverySessionSource(RecordsDb db) : IPatientRecordSource
{
    public async IAsyncEnumerable<PatientRecord> ReadAsync(string patientId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (CounselingSession session in db.Sessions.AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            yield return PatientRecord.From(session, RecordMapping.ToFhir);
        }
    }
}
