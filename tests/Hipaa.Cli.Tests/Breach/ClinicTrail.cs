using System.Globalization;
using Hipaa.Auditing;
using Hipaa.Cli.ClinicDriver;
using Hipaa.Cli.Tests.Policy;
using Hipaa.EfCore.Encryption;
using Hipaa.Encryption;
using Hipaa.Policy;
using System.Data.Common;
using Hipaa.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hipaa.Cli.Tests.Breach;

/// <summary>
/// A real clinic database written through <c>UseHipaa</c> by several users: four patients (per-patient keys in their own key
/// store file, patient D crypto-shredded), notes by a therapist, claims by billing, a sealed and signed audit trail.
/// <list type="number">
/// <item>u-frontdesk creates patients A, B, C, D; u-ther-1 writes progress notes for A and B and a psychotherapy note for A;
/// u-billing writes claims for A, B and C.</item>
/// <item><see cref="ReadsFrom"/>..<see cref="ReadsTo"/>: u-ther-1 reads the progress notes of A and B and A's psychotherapy note.</item>
/// <item>Then u-billing reads every claim and C's demographics, and D is shredded.</item>
/// </list>
/// </summary>
public sealed class ClinicTrail : IDisposable
{
    public static readonly Guid A = Guid.Parse("0197c000-0000-7000-8000-00000000000a");
    public static readonly Guid B = Guid.Parse("0197c000-0000-7000-8000-00000000000b");
    public static readonly Guid C = Guid.Parse("0197c000-0000-7000-8000-00000000000c");
    public static readonly Guid D = Guid.Parse("0197c000-0000-7000-8000-00000000000d");

    private readonly string _directory = Directory.CreateTempSubdirectory("hipaa-cli-breach-").FullName;
    private readonly string? _postgresAdmin;
    private readonly string[] _postgresDatabases = [];

    public ClinicTrail()
        : this("sqlite")
    {
    }

    /// <summary>Writes the trail on SQLite files, or (<paramref name="provider"/> "postgres") in two databases of the test cluster. Internal: an xunit class fixture has one public constructor.</summary>
    internal ClinicTrail(string provider)
    {
        Provider = provider;
        if (provider == "postgres")
        {
            _postgresAdmin = TestEnvironment.RequirePostgres();
            string suffix = Guid.NewGuid().ToString("N");
            _postgresDatabases = ["hipaa_cli_clinic_" + suffix, "hipaa_cli_keys_" + suffix];
            foreach (string database in _postgresDatabases)
            {
                ExecuteOn(new NpgsqlConnection(_postgresAdmin), $"CREATE DATABASE \"{database}\"");
            }

            ClinicConnection = new NpgsqlConnectionStringBuilder(_postgresAdmin) { Database = _postgresDatabases[0] }.ConnectionString;
            KeyConnection = new NpgsqlConnectionStringBuilder(_postgresAdmin) { Database = _postgresDatabases[1] }.ConnectionString;
        }
        else
        {
            ClinicConnection = $"Data Source={Path.Combine(_directory, "clinic.db")};Default Timeout=30";
            KeyConnection = $"Data Source={Path.Combine(_directory, "keys.db")};Default Timeout=30";
        }

        var services = new ServiceCollection();
        services.AddHipaa()
            .AddFieldEncryption()
            .UseLocalDevelopmentKey(Path.Combine(_directory, "dev.kek"))
            .UseKeyStore(o => Use(o, KeyConnection))
            .AddQueryAuditing(o => o.SealInterval = TimeSpan.FromMinutes(10))
            .UseAuditStore(o => Use(o, ClinicConnection))
            .UseLocalDevelopmentCheckpointSigner(SigningKeyPath);
        services.AddDbContextFactory<ClinicDb>((sp, o) => Use(o, ClinicConnection).UseHipaa(sp));
        using (ServiceProvider application = services.BuildServiceProvider())
        {
            IDbContextFactory<ClinicDb> factory = application.GetRequiredService<IDbContextFactory<ClinicDb>>();
            using (ClinicDb db = factory.CreateDbContext())
            {
                db.Database.EnsureCreated();
            }

            As("u-frontdesk", WellKnownRoles.FrontDesk, factory, db =>
            {
                int n = 0;
                foreach (Guid patient in new[] { A, B, C, D })
                {
                    n++;
                    db.Patients.Add(new ClinicPatient
                    {
                        Id = Guid.CreateVersion7(),
                        PatientId = patient,
                        Name = "Patient " + n.ToString(CultureInfo.InvariantCulture),
                        Mrn = "MRN-" + n.ToString(CultureInfo.InvariantCulture),
                        BirthDate = new DateOnly(1980 + n, 1, 1),
                        State = n % 2 == 0 ? "OR" : "WA",
                    });
                }

                db.SaveChanges();
            });
            As("u-ther-1", WellKnownRoles.Therapist, factory, db =>
            {
                foreach (Guid patient in new[] { A, B })
                {
                    db.ProgressNotes.Add(new ProgressNote { Id = Guid.CreateVersion7(), PatientId = patient, AuthorId = "u-ther-1", VisitedAt = DateTimeOffset.UnixEpoch, Text = "Reported better sleep." });
                }

                db.PsychotherapyNotes.Add(new PsychotherapyNote { Id = Guid.CreateVersion7(), PatientId = A, AuthorId = "u-ther-1", Text = "Process notes." });
                db.SaveChanges();
            });
            As("u-billing", WellKnownRoles.Billing, factory, db =>
            {
                foreach (Guid patient in new[] { A, B, C })
                {
                    db.Claims.Add(new Claim { Id = Guid.CreateVersion7(), PatientId = patient, Amount = 150m, DiagnosisCode = "F41.1" });
                }

                db.SaveChanges();
            });

            ReadsFrom = Now();
            As("u-ther-1", WellKnownRoles.Therapist, factory, db =>
            {
                Assert.Equal(2, db.ProgressNotes.Where(n => n.PatientId == A || n.PatientId == B).ToList().Count);
                Assert.Single(db.PsychotherapyNotes.Where(n => n.PatientId == A).ToList());
            });
            ReadsTo = Now();

            As("u-billing", WellKnownRoles.Billing, factory, db =>
            {
                Assert.Equal(3, db.Claims.ToList().Count);
                Assert.Single(db.Patients.Where(p => p.PatientId == C).ToList());
            });

            FieldEncryptionKeyManager keys = application.GetRequiredService<FieldEncryptionKeyManager>();
            using (ClinicDb db = factory.CreateDbContext())
            using (AccessContext.Begin(AccessContext.ForKeyMaintenance("erasure")))
            {
                Assert.True(keys.ShredAsync(DataKeyScope.ForPatient(D), db).GetAwaiter().GetResult() > 0);
            }
        }

        CliRun seal = CliRun.Of("audit", "seal", "--connection", ClinicConnection, "--provider", Provider, "--signing-key", SigningKeyPath);
        Assert.True(seal.ExitCode == 0, seal.Error);
        CliRun publicKey = CliRun.Of("audit", "public-key", "--signing-key", SigningKeyPath);
        Assert.True(publicKey.ExitCode == 0, publicKey.Error);
        File.WriteAllText(PublicKeyPath, publicKey.Output);
    }

    public string Provider { get; }

    public string ClinicConnection { get; }

    public string KeyConnection { get; }

    public string SigningKeyPath => Path.Combine(_directory, "audit-signing.pem");

    public string PublicKeyPath => Path.Combine(_directory, "audit-signing.pub.pem");

    public static string AssemblyPath => Path.Combine(AppContext.BaseDirectory, "Hipaa.Cli.ClinicDriver.dll");

    public DateTimeOffset ReadsFrom { get; }

    public DateTimeOffset ReadsTo { get; }

    /// <summary>The options every assessment of this trail takes: both stores, the model, the trusted public key, a fixed discovery date.</summary>
    public string[] Assess(params string[] more) =>
        [
            "breach", "assess", "--connection", ClinicConnection, "--provider", Provider, "--key-connection", KeyConnection,
            "--assembly", AssemblyPath, "--public-key", PublicKeyPath, "--discovered", "2026-03-10", .. more,
        ];

    /// <summary>The id of the data key (kind 2) of <paramref name="scope"/>, or of the first intermediate key for "root".</summary>
    public string KeyId(string scope)
    {
        using DbConnection connection = Connect(KeyConnection);
        connection.Open();
        using DbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM hipaa_keys WHERE scope = @scope AND kind = @kind ORDER BY version LIMIT 1";
        Add(command, "@scope", scope);
        Add(command, "@kind", scope == "root" ? (int)DataKeyKind.Intermediate : (int)DataKeyKind.Data);
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? throw new InvalidOperationException("No key of scope " + scope + ".");
    }

    public void Execute(string sql) => ExecuteOn(Connect(ClinicConnection), sql);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        if (_postgresAdmin is not null)
        {
            foreach (string database in _postgresDatabases)
            {
                ExecuteOn(new NpgsqlConnection(_postgresAdmin), $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
            }
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static void Add(DbCommand command, string name, object value)
    {
        DbParameter parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static void ExecuteOn(DbConnection connection, string sql)
    {
        using (connection)
        {
            connection.Open();
            using DbCommand command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    private DbConnection Connect(string connectionString) =>
        Provider == "postgres" ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);

    private DbContextOptionsBuilder Use(DbContextOptionsBuilder options, string connectionString) =>
        Provider == "postgres" ? options.UseNpgsql(connectionString) : options.UseSqlite(connectionString);

    private static DateTimeOffset Now()
    {
        // Records are stamped by the same clock; a pause keeps the phases' instants apart whatever its resolution.
        Thread.Sleep(20);
        DateTimeOffset now = TimeProvider.System.GetUtcNow();
        Thread.Sleep(20);
        return now;
    }

    private static void As(string user, string role, IDbContextFactory<ClinicDb> factory, Action<ClinicDb> action)
    {
        using ClinicDb db = factory.CreateDbContext();
        using (AccessContext.Begin(new AccessContext(new Actor(user, [role]), PurposeOfUse.Treatment) { ClientAddress = "10.0.0.9", ClientApplication = "clinic-web" }))
        {
            action(db);
        }
    }
}
