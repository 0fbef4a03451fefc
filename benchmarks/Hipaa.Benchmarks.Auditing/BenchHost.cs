using Hipaa.Auditing;
using Hipaa.EfCore.Auditing.Reports;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>The database a benchmark runs against.</summary>
public enum BenchProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// One audited application instance, wired as an application would: <c>services.AddHipaa().AddQueryAuditing()
/// .UseAuditStore(...).UseLocalDevelopmentCheckpointSigner(path)</c>, plus the <see cref="NotesDb"/> options with and
/// without <c>UseHipaa</c>. Only public APIs.
/// </summary>
public sealed class BenchHost : IDisposable
{
    /// <summary>The development checkpoint key every benchmark process shares (a fresh database per run; one key per chain).</summary>
    public static string SignerPath { get; } = Path.Combine(BenchPaths.Root, "checkpoint-signer.pem");

    private readonly ServiceProvider _services;

    private readonly IInterceptor? _interceptor;

    public BenchHost(BenchProvider provider, string connectionString, Action<QueryAuditingOptions>? configure = null, IInterceptor? interceptor = null)
    {
        _interceptor = interceptor;
        Provider = provider;
        ConnectionString = connectionString;
        var services = new ServiceCollection();
        services.AddHipaa()
            .AddQueryAuditing(configure ?? (_ => { }))
            .UseAuditStore(o => Use(o))
            .UseLocalDevelopmentCheckpointSigner(SignerPath);
        _services = services.BuildServiceProvider();
        AuditedOptions = Use(new DbContextOptionsBuilder<NotesDb>()).UseHipaa(_services).Options;
        PlainOptions = Use(new DbContextOptionsBuilder<NotesDb>()).Options;
    }

    public BenchProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>Gets the options of the audited context: <c>UseSqlite/UseNpgsql(cs).UseHipaa(sp)</c>.</summary>
    public DbContextOptions<NotesDb> AuditedOptions { get; }

    /// <summary>Gets the options of the same context type without <c>UseHipaa</c>: plain EF Core, no auditing.</summary>
    public DbContextOptions<NotesDb> PlainOptions { get; }

    public IAuditSink Sink => _services.GetRequiredService<IAuditSink>();

    /// <summary>
    /// Diagnostic, through reflection on internals (not an API): the instance's group-commit writer's committed
    /// transactions so far, or null when it cannot be read. Lets <c>--throughput</c> report records per commit.
    /// </summary>
    public long? WriterTransactions => WriterTransactionsOf(_services);

    /// <summary>The same diagnostic for any service provider built with <c>AddQueryAuditing()</c> (null when it cannot be read).</summary>
    public static long? WriterTransactionsOf(IServiceProvider services)
    {
        const System.Reflection.BindingFlags Any = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic;
        var runtimeType = Type.GetType("Hipaa.EfCore.Auditing.AuditRuntime, Hipaa.EfCore");
        var runtime = runtimeType is null ? null : services.GetService(runtimeType);
        var writer = runtime?.GetType().GetProperty("Writer", Any)?.GetValue(runtime);
        return writer?.GetType().GetProperty("Transactions", Any)?.GetValue(writer) as long?;
    }

    public AuditReports Reports => _services.GetRequiredService<AuditReports>();

    public NotesDb CreateAudited() => new(AuditedOptions);

    public NotesDb CreatePlain() => new(PlainOptions);

    /// <summary>Creates the notes table and the audit tables (the audited model includes them).</summary>
    public void EnsureCreated()
    {
        using var db = CreateAudited();
        db.Database.EnsureCreated();
    }

    /// <summary>Rows in hipaa_audit (ADO.NET, not through the SDK).</summary>
    public long CountAuditRows(string where = "") => Scalar("SELECT COUNT(*) FROM hipaa_audit" + (where.Length == 0 ? string.Empty : " WHERE " + where));

    public long Scalar(string sql)
    {
        using var db = CreatePlain();
        var connection = db.Database.GetDbConnection();
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 600;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public string? ScalarText(string sql)
    {
        using var db = CreatePlain();
        var connection = db.Database.GetDbConnection();
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Execute(string sql)
    {
        using var db = CreatePlain();
        var connection = db.Database.GetDbConnection();
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.CommandTimeout = 600;
        command.ExecuteNonQuery();
    }

    /// <summary>Stops the instance: its group-commit writer, and its sealing loop (which seals what is left, up to 10 s).</summary>
    public void Dispose() => _services.Dispose();

    private DbContextOptionsBuilder<NotesDb> Use(DbContextOptionsBuilder<NotesDb> options) =>
        (DbContextOptionsBuilder<NotesDb>)Use((DbContextOptionsBuilder)options);

    private DbContextOptionsBuilder Use(DbContextOptionsBuilder options)
    {
        _ = Provider switch
        {
            BenchProvider.Sqlite => options.UseSqlite(ConnectionString).DangerouslyAllowPhiWithoutHipaa(), // the plain baselines map the same PHI entities
            BenchProvider.Postgres => options.UseNpgsql(ConnectionString).DangerouslyAllowPhiWithoutHipaa(),
            _ => throw new ArgumentOutOfRangeException(nameof(options)),
        };
        return _interceptor is null ? options : options.AddInterceptors(_interceptor);
    }
}

/// <summary>Where the benchmarks keep their files.</summary>
public static class BenchPaths
{
    public static string Root { get; } = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "hipaa-bench-auditing")).FullName;

    /// <summary>A fresh directory for one benchmark process.</summary>
    public static string NewRunDirectory() => Directory.CreateTempSubdirectory("hipaa-bench-auditing-").FullName;

    public static void DeleteSqliteFiles(string path)
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { path, path + "-journal", path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }
    }
}

/// <summary>The throwaway PostgreSQL cluster of scripts/with-postgres.sh.</summary>
public static class BenchPostgres
{
    public const string Variable = "HIPAA_TEST_POSTGRES";

    /// <summary>The server's connection string, or a clear failure naming the script that provides it.</summary>
    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set. The PostgreSQL benchmarks need a server: run them through scripts/with-postgres.sh, e.g. "
                + "scripts/with-postgres.sh dotnet run -c Release --project benchmarks/Hipaa.Benchmarks.Auditing -- --filter '*Append*'");

    /// <summary>Creates (or, with <paramref name="recreate"/>, drops and creates) a database and returns its connection string.</summary>
    public static string Database(string name, bool recreate)
    {
        var server = ServerConnectionString;
        using (var connection = new NpgsqlConnection(server))
        {
            connection.Open();
            using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
            exists.Parameters.AddWithValue("name", name);
            var present = exists.ExecuteScalar() is not null;
            if (present && recreate)
            {
                using var drop = new NpgsqlCommand($"DROP DATABASE \"{name}\" WITH (FORCE)", connection);
                drop.ExecuteNonQuery();
                NpgsqlConnection.ClearAllPools();
                present = false;
            }

            if (!present)
            {
                using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
                create.ExecuteNonQuery();
            }
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = 100 }.ConnectionString;
    }

    public static void Drop(string name)
    {
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(ServerConnectionString);
        connection.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        drop.ExecuteNonQuery();
    }
}

/// <summary>Who the benchmarks read as.</summary>
public static class BenchActors
{
    public static AccessContext Therapist { get; } =
        new(new Hipaa.Policy.Actor("u-ther-1", ["Therapist"], "practice"), Hipaa.Policy.PurposeOfUse.Treatment)
        {
            ClientAddress = "10.0.0.34",
            RequestId = "bench-request",
            ClientApplication = "hipaa-benchmarks",
        };

    public static AccessContext Oversight { get; } = AccessContext.ForSystem("bench", Hipaa.Policy.PurposeOfUse.Oversight);
}

/// <summary>
/// Sets <c>PRAGMA synchronous=NORMAL</c> on every connection it sees opened (the application's and, through
/// <c>UseAuditStore</c>, the audit writer's and sealer's): in WAL mode a commit is then not fsynced; it survives a crash
/// of the process but not of the machine (the last commits before a power loss can be lost).
/// </summary>
public sealed class SynchronousNormal : DbConnectionInterceptor
{
    public override void ConnectionOpened(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData) => Set(connection);

    public override Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Set(connection);
        return Task.CompletedTask;
    }

    private static void Set(System.Data.Common.DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL";
        command.ExecuteNonQuery();
    }
}
