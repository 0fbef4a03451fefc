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
