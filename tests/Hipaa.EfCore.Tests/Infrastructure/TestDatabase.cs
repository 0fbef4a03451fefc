using System.Data.Common;
using Hipaa.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Hipaa.EfCore.Tests.Infrastructure;

/// <summary>A fresh, empty database for one test: a SQLite file, or a database in the PostgreSQL cluster the test script started.</summary>
public abstract class TestDatabase : IDisposable
{
    public abstract string ConnectionString { get; }

    public abstract void Use(DbContextOptionsBuilder options);

    /// <summary>
    /// Where to keep the key store: on SQLite a database file of its own (one writer per file: a key must be creatable
    /// while the application holds a write transaction), on PostgreSQL the same database.
    /// </summary>
    public abstract void UseForKeys(DbContextOptionsBuilder options);

    public abstract DbConnection OpenConnection();

    /// <summary>
    /// Where <see cref="ArchiveDb"/> keeps its notes: on PostgreSQL this database (schema <c>archive</c>), on SQLite a
    /// database file of its own (SQLite has no schemas but attached databases).
    /// </summary>
    public abstract void UseArchive(DbContextOptionsBuilder options);

    /// <summary>
    /// Copies every row of <paramref name="table"/> to the table of the same name in schema <c>archive</c>, with plain SQL,
    /// as someone with write access to the database would: on SQLite through the archive database attached as
    /// <c>archive</c>.
    /// </summary>
    public abstract void CopyToArchive(string table, IEnumerable<string> columns);

    public abstract void Dispose();

    public static TestDatabase Create(string provider) => provider switch
    {
        "sqlite" => new SqliteTestDatabase(),
        "postgres" => new PostgresTestDatabase(),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown provider."),
    };

    /// <summary>
    /// Every audit record per patient, oldest first, as the who-accessed report sees them: a row written once for several
    /// patients (<c>patient_ids</c>) appears once per patient, with <c>PatientId</c> set to that patient. Read straight
    /// from the table through the SDK's own audit context; <see cref="AuditRows"/> gives the rows as stored.
    /// </summary>
    internal List<Hipaa.EfCore.Auditing.AuditEntry> AuditRecords() =>
        [.. AuditRows().SelectMany(row => row.PatientIds.Length == 0
            ? [row]
            : row.Patients().Select(patient => CopyFor(row, patient)))];

    /// <summary>Every audit row as stored, oldest first.</summary>
    internal List<Hipaa.EfCore.Auditing.AuditEntry> AuditRows()
    {
        var options = new DbContextOptionsBuilder<Hipaa.EfCore.Auditing.AuditDbContext>();
        Use(options);
        using var audit = new Hipaa.EfCore.Auditing.AuditDbContext(options.Options);
        return [.. audit.Entries.AsNoTracking().OrderBy(e => e.Id)];
    }

    /// <summary>The per-patient index rows (written when records of several patients are sealed).</summary>
    internal List<Hipaa.EfCore.Auditing.AuditPatientEntry> AuditPatientIndex()
    {
        var options = new DbContextOptionsBuilder<Hipaa.EfCore.Auditing.AuditDbContext>();
        Use(options);
        using var audit = new Hipaa.EfCore.Auditing.AuditDbContext(options.Options);
        return [.. audit.PatientIndex.AsNoTracking().OrderBy(e => e.AuditId).ThenBy(e => e.PatientId)];
    }

    private static Hipaa.EfCore.Auditing.AuditEntry CopyFor(Hipaa.EfCore.Auditing.AuditEntry row, string patient)
    {
        var copy = (Hipaa.EfCore.Auditing.AuditEntry)Activator.CreateInstance(typeof(Hipaa.EfCore.Auditing.AuditEntry))!;
        foreach (var property in typeof(Hipaa.EfCore.Auditing.AuditEntry).GetProperties().Where(p => p.CanWrite))
        {
            property.SetValue(copy, property.GetValue(row));
        }

        copy.PatientId = patient;
        return copy;
    }

    /// <summary>Reads one column of every row with plain ADO.NET, as an attacker with the database would.</summary>
    public List<byte[]?> ReadColumn(string table, string column)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT \"{column}\" FROM \"{table}\"";
        using var reader = command.ExecuteReader();
        var values = new List<byte[]?>();
        while (reader.Read())
        {
            values.Add(reader.IsDBNull(0) ? null : reader.GetFieldValue<byte[]>(0));
        }

        return values;
    }

    public int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command.ExecuteNonQuery();
    }

    private sealed class SqliteTestDatabase : TestDatabase
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("hipaa-efcore-").FullName;

        public override string ConnectionString => $"Data Source={Path.Combine(_directory, "clinic.db")};Default Timeout=30";

        public override void Use(DbContextOptionsBuilder options) => options.UseSqlite(ConnectionString);

        public override void UseForKeys(DbContextOptionsBuilder options) =>
            options.UseSqlite($"Data Source={Path.Combine(_directory, "keys.db")};Default Timeout=30");

        public override DbConnection OpenConnection()
        {
            var connection = new SqliteConnection(ConnectionString);
            connection.Open();
            return connection;
        }

        private string ArchivePath => Path.Combine(_directory, "archive.db");

        public override void UseArchive(DbContextOptionsBuilder options) => options.UseSqlite($"Data Source={ArchivePath};Default Timeout=30");

        public override void CopyToArchive(string table, IEnumerable<string> columns)
        {
            var list = string.Join(", ", columns.Select(c => $"\"{c}\""));
            using var connection = OpenConnection();
            using var command = connection.CreateCommand();
            command.CommandText = $"ATTACH DATABASE @path AS archive; INSERT INTO archive.\"{table}\" ({list}) SELECT {list} FROM main.\"{table}\"; DETACH DATABASE archive;";
            command.Parameters.Add(new SqliteParameter("@path", ArchivePath));
            command.ExecuteNonQuery();
        }

        public override void Dispose()
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
    }

    private sealed class PostgresTestDatabase : TestDatabase
    {
        private readonly string _admin = TestEnvironment.RequirePostgres();
        private readonly string _name = "hipaa_" + Guid.NewGuid().ToString("N");

        public PostgresTestDatabase()
        {
            using var connection = new NpgsqlConnection(_admin);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE \"{_name}\"";
            command.ExecuteNonQuery();
        }

        public override string ConnectionString => new NpgsqlConnectionStringBuilder(_admin) { Database = _name }.ConnectionString;

        public override void Use(DbContextOptionsBuilder options) => options.UseNpgsql(ConnectionString);

        public override void UseForKeys(DbContextOptionsBuilder options) => Use(options);

        public override DbConnection OpenConnection()
        {
            var connection = new NpgsqlConnection(ConnectionString);
            connection.Open();
            return connection;
        }

        public override void UseArchive(DbContextOptionsBuilder options) => Use(options);

        public override void CopyToArchive(string table, IEnumerable<string> columns)
        {
            var list = string.Join(", ", columns.Select(c => $"\"{c}\""));
            Execute($"INSERT INTO archive.\"{table}\" ({list}) SELECT {list} FROM public.\"{table}\"");
        }

        public override void Dispose()
        {
            NpgsqlConnection.ClearAllPools();
            using var connection = new NpgsqlConnection(_admin);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)";
            command.ExecuteNonQuery();
        }
    }
}
