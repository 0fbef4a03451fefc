using System.Data.Common;
using Hipaa.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Hipaa.AspNetCore.Tests.EndToEnd;

/// <summary>
/// A fresh database for one test — a SQLite file, or a database of its own in the PostgreSQL cluster that
/// scripts/test.sh starts (HIPAA_TEST_POSTGRES) — plus a directory for the development key-encryption key.
/// </summary>
public abstract class EndToEndDatabase : IDisposable
{
    protected EndToEndDatabase()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("hipaa-e2e-").FullName;
    }

    /// <summary>A temporary directory owned by this database (SQLite files, the development key file).</summary>
    public string Directory { get; }

    public string KeyFile => Path.Combine(Directory, "dev.kek");

    public static EndToEndDatabase Create(string provider) => provider switch
    {
        "sqlite" => new SqliteDatabase(),
        "postgres" => new PostgresDatabase(),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown provider."),
    };

    /// <summary>The application's database, which also holds the audit trail (hipaa_audit).</summary>
    public abstract void Use(DbContextOptionsBuilder options);

    /// <summary>
    /// The key store: on SQLite a file of its own (one writer per file — a data key must be creatable while the
    /// application holds a write transaction), on PostgreSQL the application's database.
    /// </summary>
    public abstract void UseForKeys(DbContextOptionsBuilder options);

    public abstract DbConnection OpenConnection();

    public void Dispose()
    {
        DropDatabase();
        System.IO.Directory.Delete(Directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected abstract void DropDatabase();

    private sealed class SqliteDatabase : EndToEndDatabase
    {
        private string ConnectionString => $"Data Source={Path.Combine(Directory, "clinic.db")};Default Timeout=30";

        public override void Use(DbContextOptionsBuilder options) => options.UseSqlite(ConnectionString);

        public override void UseForKeys(DbContextOptionsBuilder options) =>
            options.UseSqlite($"Data Source={Path.Combine(Directory, "keys.db")};Default Timeout=30");

        public override DbConnection OpenConnection()
        {
            var connection = new SqliteConnection(ConnectionString);
            connection.Open();
            return connection;
        }

        protected override void DropDatabase() => SqliteConnection.ClearAllPools();
    }

    private sealed class PostgresDatabase : EndToEndDatabase
    {
        private readonly string _admin = TestEnvironment.RequirePostgres();
        private readonly string _name = "hipaa_e2e_" + Guid.NewGuid().ToString("N");

        public PostgresDatabase()
        {
            using var connection = new NpgsqlConnection(_admin);
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE \"{_name}\"";
            command.ExecuteNonQuery();
        }

        private string ConnectionString => new NpgsqlConnectionStringBuilder(_admin) { Database = _name }.ConnectionString;

        public override void Use(DbContextOptionsBuilder options) => options.UseNpgsql(ConnectionString);

        public override void UseForKeys(DbContextOptionsBuilder options) => Use(options);

        public override DbConnection OpenConnection()
        {
            var connection = new NpgsqlConnection(ConnectionString);
            connection.Open();
            return connection;
        }

        protected override void DropDatabase()
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
