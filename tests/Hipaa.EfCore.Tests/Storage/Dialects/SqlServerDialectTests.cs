using Hipaa.EfCore.Auditing;
using Hipaa.EfCore.Auditing.Integrity;
using Hipaa.EfCore.Encryption;
using Hipaa.EfCore.Policy;
using Hipaa.EfCore.Storage;
using Hipaa.EfCore.Storage.Dialects;
using Hipaa.EfCore.Tests.Infrastructure;
using Hipaa.Encryption;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace Hipaa.EfCore.Tests.Storage.Dialects;

/// <summary>
/// The SQL Server dialect (preview) without a server: every statement the SDK writes for SQL Server — audit insert
/// batches, patient index rows, key rows, the chain lock, the seal update, the bulk-write OUTPUT variants, the shredded
/// index clearing, the consent tables' lock — parses with SQL Server 2022's T-SQL grammar (ScriptDom's TSql160Parser)
/// with no error, and the parse tree shows what the SDK relies on. What no parser can show — that SQL Server runs them
/// with the locking, collation and trigger behaviour assumed (sp_getapplock serializing sealers, OUTPUT refused on a
/// table with triggers) — is not checked here: no SQL Server runs on these machines (docs/audit.md, "Database dialects").
/// The contexts use UseSqlServer with a connection string that is never opened.
/// </summary>
public sealed class SqlServerDialectTests
{
    private const string ConnectionString = "Server=127.0.0.1,1;Database=hipaa_never_opened;User ID=nobody;Password=never;TrustServerCertificate=True;Connect Timeout=1";

    private static readonly CountingKeyEncryptionKey Kek = new("kek-sqlserver");

    private static readonly DbContextOptions<AuditDbContext> AuditOptions = new DbContextOptionsBuilder<AuditDbContext>().UseSqlServer(ConnectionString).Options;

    private static readonly DbContextOptions<KeyStoreDbContext> KeyOptions = new DbContextOptionsBuilder<KeyStoreDbContext>().UseSqlServer(ConnectionString).Options;

    private static readonly StatementCapture Capture = new();

    /// <summary>A plain SQL Server context over the clinic model whose commands are captured, not run: EF Core's own bulk-write SQL.</summary>
    private static readonly DbContextOptions<ClinicDb> CapturedOptions = new DbContextOptionsBuilder<ClinicDb>()
        .UseSqlServer(ConnectionString)
        .AddInterceptors(Capture)
        .DangerouslyAllowPhiWithoutHipaa()
        .Options;

    /// <summary>The application: field encryption and auditing with their stores on SQL Server, and the clinic context with UseHipaa.</summary>
    private static readonly Lazy<ServiceProvider> Application = new(() =>
    {
        var services = new ServiceCollection();
        services.AddHipaa()
            .AddFieldEncryption(o => o.KeyScope = KeyScope.Patient)
            .UseKeyEncryptionKey(_ => Kek, KeyWrapAlgorithm.AesGcmKeyWrap256)
            .UseKeyStore(o => o.UseSqlServer(ConnectionString))
            .AddQueryAuditing(o => o.SealInterval = TimeSpan.FromMinutes(10))
            .UseAuditStore(o => o.UseSqlServer(ConnectionString))
            .UseLocalDevelopmentCheckpointSigner(Hipaa.EfCore.LoadDriver.LoadHost.SignerPath);
        services.AddDbContextFactory<ClinicDb>((sp, o) => o.UseSqlServer(ConnectionString).UseHipaa(sp));
        return services.BuildServiceProvider();
    });

    [Fact]
    public void AuditInsert_EveryStatementTheWriterPrepares_ParsesWithAtMost2000Parameters()
    {
        using var context = new AuditDbContext(AuditOptions);
        var columns = context.Model.FindEntityType(typeof(AuditEntry))!.GetProperties().Count(p => !p.IsPrimaryKey());
        var chunks = AuditBatchInserter.ChunksUnder(SqlServerDialect.Instance.MaxParametersPerStatement, columns);

        // 256 and 128 rows of the audit table's columns would pass SQL Server's 2,100; the writer cuts large batches smaller.
        Assert.DoesNotContain(256, chunks);
        Assert.DoesNotContain(128, chunks);
        Assert.Contains(64, chunks);
        foreach (var rows in Enumerable.Range(1, 16).Concat(chunks))
        {
            var text = AuditBatchInserter.InsertText(context, rows);
            var insert = Assert.IsType<InsertStatement>(Assert.Single(TransactSqlParse.Statements(text)));
            Assert.Equal("hipaa_audit", ((NamedTableReference)insert.InsertSpecification.Target).SchemaObject.BaseIdentifier.Value);
            var values = Assert.IsType<ValuesInsertSource>(insert.InsertSpecification.InsertSource);
            Assert.Equal(rows, values.RowValues.Count);
            Assert.Equal(rows * columns, TransactSqlParse.DistinctVariables(insert));
            Assert.True(rows * columns <= 2_000, $"{rows} rows carry {rows * columns} parameters");
        }

        // Whatever the batch, each statement the writer runs is one of those.
        foreach (var batch in new[] { 17, 100, 1_000, 4_321 })
        {
            for (var remaining = batch; remaining > 0;)
            {
                var chunk = AuditBatchInserter.ChunkOf(remaining, sqlite: false, chunks);
                Assert.InRange(chunk, 1, remaining);
                Assert.True(chunk * columns <= 2_000, $"a chunk of {chunk} rows carries {chunk * columns} parameters");
                remaining -= chunk;
            }
        }
    }

    [Fact]
    public void PatientIndexAndKeyRows_InsertStatements_ParseWithAtMost2000ParametersEach()
    {
        using var audit = new AuditDbContext(AuditOptions);
        using var keys = new KeyStoreDbContext(KeyOptions);
        IEnumerable<(string Table, (string Text, int Parameters) Statement)> statements =
        [
            .. SqlRowInserter.InsertStatements<AuditPatientEntry>(audit, 5_000).Select(s => ("hipaa_audit_patients", s)),
            .. SqlRowInserter.InsertStatements<DataKeyRecord>(keys, 3_000).Select(s => (KeyStoreDbContext.TableName, s)),
        ];
        var rows = new Dictionary<string, int>();
        foreach (var (table, (text, parameters)) in statements)
        {
            var insert = Assert.IsType<InsertStatement>(Assert.Single(TransactSqlParse.Statements(text)));
            Assert.Equal(table, ((NamedTableReference)insert.InsertSpecification.Target).SchemaObject.BaseIdentifier.Value);
            Assert.InRange(parameters, 1, 2_000);
            Assert.Equal(parameters, TransactSqlParse.DistinctVariables(insert));
            rows[table] = rows.GetValueOrDefault(table) + ((ValuesInsertSource)insert.InsertSpecification.InsertSource).RowValues.Count;
        }

        Assert.Equal(5_000, rows["hipaa_audit_patients"]);
        Assert.Equal(3_000, rows[KeyStoreDbContext.TableName]);
    }

    [Fact]
    public void FirstKeyInserts_Parse_AsInsertSelectFromValuesWhereNotExistsWithOutputOfTheInsertedIds()
    {
        using var keys = new KeyStoreDbContext(KeyOptions);
        var statements = SqlRowInserter.InsertWhereAbsentStatements<DataKeyRecord>(keys, 300, [nameof(DataKeyRecord.Kind), nameof(DataKeyRecord.Scope)], nameof(DataKeyRecord.Id));

        Assert.True(statements.Count > 1);
        var rows = 0;
        foreach (var (text, parameters) in statements)
        {
            var insert = Assert.IsType<InsertStatement>(Assert.Single(TransactSqlParse.Statements(text)));
            Assert.Equal(KeyStoreDbContext.TableName, ((NamedTableReference)insert.InsertSpecification.Target).SchemaObject.BaseIdentifier.Value);
            Assert.InRange(parameters, 1, 2_000);
            Assert.Equal(parameters, TransactSqlParse.DistinctVariables(insert));

            // OUTPUT inserted.id (T-SQL has no RETURNING), rows from a VALUES table, kept only where no key of the kind and scope exists.
            var output = Assert.Single(insert.InsertSpecification.OutputClause.SelectColumns.OfType<SelectScalarExpression>());
            var column = Assert.IsType<ColumnReferenceExpression>(output.Expression);
            Assert.Equal(["inserted", "id"], column.MultiPartIdentifier.Identifiers.Select(i => i.Value));
            var select = Assert.IsType<QuerySpecification>(Assert.IsType<SelectInsertSource>(insert.InsertSpecification.InsertSource).Select);
            var values = Assert.IsType<InlineDerivedTable>(Assert.Single(select.FromClause.TableReferences));
            rows += values.RowValues.Count;
            Assert.IsType<ExistsPredicate>(Assert.IsType<BooleanNotExpression>(select.WhereClause.SearchCondition).Expression);
        }

        Assert.Equal(300, rows);
        Assert.DoesNotContain("RETURNING", string.Concat(statements.Select(s => s.Text)), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ChainLock_Parses_AsAnExclusiveSpGetAppLockOwnedByTheTransaction_ThatFailsWhenNotGranted()
    {
        var statements = TransactSqlParse.Statements(SqlServerDialect.Instance.ChainLockStatement!);

        var call = Assert.Single(statements.OfType<ExecuteStatement>());
        var procedure = Assert.IsType<ExecutableProcedureReference>(call.ExecuteSpecification.ExecutableEntity);
        Assert.Equal("sp_getapplock", procedure.ProcedureReference.ProcedureReference.Name.BaseIdentifier.Value);
        var parameters = procedure.Parameters.ToDictionary(p => p.Variable.Name, p => (p.ParameterValue as StringLiteral)?.Value, StringComparer.OrdinalIgnoreCase);
        Assert.Equal("Transaction", parameters["@LockOwner"]);
        Assert.Equal("Exclusive", parameters["@LockMode"]);
        Assert.Equal(SqlServerDialect.ChainLockResource, parameters["@Resource"]);

        // The result is checked: a lock not granted (negative result) throws, failing the seal's transaction.
        var check = Assert.Single(statements.OfType<IfStatement>());
        Assert.IsType<ThrowStatement>(check.ThenStatement);
        Assert.NotNull(call.ExecuteSpecification.Variable);
        Assert.Equal(call.ExecuteSpecification.Variable.Name, Assert.Single(TransactSqlParse.All<VariableReference>(check.Predicate)).Name);
    }

    [Fact]
    public void SealStatements_TheRowUpdateAndThePendingQuery_Parse()
    {
        using var context = new AuditDbContext(AuditOptions);

        var update = Assert.IsType<UpdateStatement>(Assert.Single(TransactSqlParse.Statements(AuditSealWriter.UpdateText(context))));
        Assert.Equal(4, update.UpdateSpecification.SetClauses.Count);
        Assert.NotNull(update.UpdateSpecification.WhereClause);
        Assert.Equal(5, TransactSqlParse.DistinctVariables(update));

        // SQL Server has no index-hint query of its own: EF Core writes the sealer's query of unsealed records.
        Assert.Null(SqlServerDialect.Instance.PendingRecordsQuery);
        var pending = context.Entries.Where(e => e.ChainPosition == null).OrderBy(e => e.Id).Take(500).ToQueryString();
        Assert.Contains(TransactSqlParse.Statements(pending), s => s is SelectStatement);
    }

    [Fact]
    public void BulkUpdate_OfEfCoresSqlServerShape_GetsOutputInsertedPatientIdAfterItsSetList()
    {
        var original = Captured(c => c.Notes.Where(n => n.Severity > 3).ExecuteUpdate(s => s.SetProperty(n => n.Severity, 0)));
        using var context = CreateApplicationContext();

        var command = HipaaContext.Audit(context)!.DescribeCommand(context, original);

        Assert.Equal("Notes", command.Target?.Table);
        var update = Assert.IsType<UpdateStatement>(Assert.Single(TransactSqlParse.Statements(command.ReturningCommandText!)));
        var output = update.UpdateSpecification.OutputClause;
        Assert.NotNull(output);
        Assert.Null(update.UpdateSpecification.OutputIntoClause);
        Assert.Equal(["inserted", "PatientId"], OutputColumn(output));
        Assert.NotNull(update.UpdateSpecification.FromClause);
        Assert.NotNull(update.UpdateSpecification.WhereClause);
    }

    [Fact]
    public void BulkDelete_OfEfCoresSqlServerShape_GetsOutputDeletedPatientIdAfterItsTarget()
    {
        var original = Captured(c => c.Notes.Where(n => n.Severity > 3).ExecuteDelete());
        using var context = CreateApplicationContext();

        var command = HipaaContext.Audit(context)!.DescribeCommand(context, original);

        Assert.Equal("Notes", command.Target?.Table);
        var delete = Assert.IsType<DeleteStatement>(Assert.Single(TransactSqlParse.Statements(command.ReturningCommandText!)));
        var output = delete.DeleteSpecification.OutputClause;
        Assert.NotNull(output);
        Assert.Equal(["deleted", "PatientId"], OutputColumn(output));
        Assert.NotNull(delete.DeleteSpecification.WhereClause);
    }

    [Theory]
    [InlineData("DELETE FROM [Notes] WHERE [Severity] > 3", "deleted")]
    [InlineData("DELETE FROM [dbo].[Notes] WHERE [Severity] > 3;", "deleted")]
    [InlineData("UPDATE [Notes] SET [Severity] = 0 WHERE [Severity] > 3 -- trailing comment", "inserted")]
    [InlineData("UPDATE [Notes] SET [Severity] = (SELECT MAX([Severity]) FROM [Notes] WHERE [Id] IS NULL)", "inserted")]
    [InlineData("UPDATE n SET n.Severity = 0 FROM Notes n JOIN Patients p ON p.Id = n.PatientId WHERE p.DisplayName = N'x'", "inserted")]
    [InlineData("WITH old AS (SELECT [Id] FROM [Notes] WHERE [Severity] > 3) DELETE FROM [Notes] WHERE [Id] IN (SELECT [Id] FROM old) OPTION (MAXDOP 1)", "deleted")]
    public void RawBulkWrite_OfAPhiTable_GetsAnOutputClauseThatParses(string sql, string pseudoTable)
    {
        using var context = CreateApplicationContext();

        var command = HipaaContext.Audit(context)!.DescribeCommand(context, sql);

        Assert.Equal("Notes", command.Target?.Table);
        var statement = Assert.Single(TransactSqlParse.Statements(command.ReturningCommandText!));
        var output = statement switch
        {
            UpdateStatement u => u.UpdateSpecification.OutputClause,
            DeleteStatement d => d.DeleteSpecification.OutputClause,
            _ => null,
        };
        Assert.NotNull(output);
        Assert.Equal([pseudoTable, "PatientId"], OutputColumn(output));
    }

    [Theory]
    [InlineData("UPDATE [Notes] SET [PatientId] = @p0 WHERE [Severity] > 3")] // moves rows to another patient: inserted would name only the new one
    [InlineData("UPDATE [Notes] SET [Severity] = 0 OUTPUT inserted.[Id] WHERE [Severity] > 3")] // an OUTPUT of its own
    [InlineData("DELETE [Notes] WHERE [Severity] > 3")] // DELETE without FROM: no target read, so no variant
    [InlineData("UPDATE TOP (5) [Notes] SET [Severity] = 0")]
    [InlineData("UPDATE [Other] SET [x] = 1 DELETE FROM [Notes]")] // two statements without a semicolon
    public void RawBulkWrite_ThatCannotBeAttributedSafely_GetsNoOutputVariant(string sql)
    {
        using var context = CreateApplicationContext();

        var command = HipaaContext.Audit(context)!.DescribeCommand(context, sql);

        Assert.Null(command.ReturningCommandText);
        Assert.Contains(command.Written, t => t.Table == "Notes");
    }

    [Fact]
    public void EfCoresSqlServerQueries_AreReadsOfTheirPhiTables_NotSeveralStatements()
    {
        // T-SQL needs no semicolon between statements, so the lexer reads statement keywords after a statement's own as a
        // second statement; EF Core's own query shapes (paging, TOP, APPLY, OPENJSON … WITH, UNION) must stay reads.
        var ids = new[] { Guid.NewGuid(), Guid.NewGuid() };
        using var plain = new ClinicDb(CapturedOptions);
        IQueryable[] queries =
        [
            plain.Notes.Where(n => n.Severity > 3).OrderBy(n => n.Id).Skip(10).Take(5),
            plain.Notes.Where(n => ids.Contains(n.PatientId)),
            plain.Patients.Select(p => new { p.Id, Latest = p.Notes.OrderByDescending(n => n.WrittenAt).Select(n => n.Title).FirstOrDefault() }),
            plain.Notes.Select(n => n.Id).Union(plain.Prescriptions.Select(r => r.Id)),
            plain.Notes.Where(n => plain.Prescriptions.Any(r => r.PatientId == n.PatientId)).Take(1),
        ];
        using var context = CreateApplicationContext();
        foreach (var query in queries)
        {
            // ToQueryString declares the parameters first ("DECLARE @p int = 10;"); the command EF Core sends is what follows.
            var text = query.ToQueryString();
            var sql = text[(text.LastIndexOf("\n\n", StringComparison.Ordinal) + 1)..].Trim();
            Assert.Single(TransactSqlParse.Statements(sql));

            var command = HipaaContext.Audit(context)!.DescribeCommand(context, sql);

            Assert.Equal(Hipaa.Auditing.AuditAction.Read, command.Action);
            Assert.Contains(command.Touched, t => t.Table == "Notes");
        }
    }

    [Fact]
    public void AuditExportPage_Parses_WithOffsetFetchInsteadOfLimit()
    {
        var format = Hipaa.EfCore.Auditing.Reports.AuditReports.ExportPageQuery(SqlServerDialect.Instance, " AND occurred_at >= {2}");
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, "@p0", "@p1", "@p2");

        var select = Assert.IsType<SelectStatement>(Assert.Single(TransactSqlParse.Statements(text)));

        var query = Assert.IsType<QuerySpecification>(select.QueryExpression);
        Assert.NotNull(query.OrderByClause);
        Assert.Equal("1000", ((IntegerLiteral)query.OffsetClause.FetchExpression).Value);
        Assert.Equal(3, TransactSqlParse.DistinctVariables(select));
    }

    [Fact]
    public void ShreddedIndexClearing_Parses_AndReadsTheKeyIdWithSubstring()
    {
        using var context = new KeyStoreDbContext(KeyOptions);
        var format = ShreddedBlindIndexes.ClearStatement(SqlServerDialect.Instance, context.GetService<ISqlGenerationHelper>(), "Patients", "phi", "Mrn_bidx", "Mrn", 3);
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, "@p0", "@p1", "@p2", "@p3");

        var update = Assert.IsType<UpdateStatement>(Assert.Single(TransactSqlParse.Statements(text)));

        var substring = Assert.Single(TransactSqlParse.All<FunctionCall>(update), f => f.FunctionName.Value.Equals("SUBSTRING", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(["3", "16"], substring.Parameters.Skip(1).Select(p => ((IntegerLiteral)p).Value));
        Assert.Equal(4, TransactSqlParse.DistinctVariables(update));
    }

    [Fact]
    public void ConsentTablesLock_Parses_AsExclusiveTableLocksHeldToTheEndOfTheTransaction()
    {
        var text = SqlServerDialect.Instance.LockTablesStatement([ConsentStoreDbContext.ConsentsTable, ConsentStoreDbContext.HistoryTable])!;

        var tables = TransactSqlParse.All<NamedTableReference>(TransactSqlParse.Parse(text));

        Assert.Equal([ConsentStoreDbContext.ConsentsTable, ConsentStoreDbContext.HistoryTable], tables.Select(t => t.SchemaObject.BaseIdentifier.Value));
        Assert.All(tables, t => Assert.Equal(
            [TableHintKind.TabLockX, TableHintKind.HoldLock],
            t.TableHints.Select(h => h.HintKind)));
    }

    [Fact]
    public void Dialect_OfSqlServer_IsResolvedFromTheProviderName_AndStatesWhatItCannotDo()
    {
        using var context = new AuditDbContext(AuditOptions);

        var dialect = DatabaseDialect.Find(context);

        Assert.Same(SqlServerDialect.Instance, dialect);
        Assert.True(dialect!.IsPreview);

        // A pin on a text patient id is not trusted: the default collations ignore case and trailing spaces.
        Assert.False(dialect.ComparesTextOrdinally);

        // Key table compaction is SQLite's and PostgreSQL's (VACUUM); on SQL Server it reports NotSupported and runs nothing.
        Assert.False(dialect.CompactsKeyTable);
        Assert.False(dialect.InsertsRowByRow);
        Assert.False(dialect.HasDatabaseWriteLock);
    }

    [Fact]
    public void UseHipaa_OnAProviderWithoutADialect_IsRefusedNamingTheSupportedProviders()
    {
        var options = new DbContextOptionsBuilder<ClinicDb>()
            .UseInMemoryDatabase("hipaa-unsupported")
            .UseHipaa(Application.Value)
            .Options;

        // Validated when EF Core first builds the context's services (ClinicDb's constructor already asks for them).
        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            using var context = new ClinicDb(options);
            return context.Model;
        });

        Assert.Contains("Microsoft.EntityFrameworkCore.InMemory", error.Message, StringComparison.Ordinal);
        Assert.Contains("SQLite (Microsoft.EntityFrameworkCore.Sqlite)", error.Message, StringComparison.Ordinal);
        Assert.Contains("PostgreSQL (Npgsql.EntityFrameworkCore.PostgreSQL)", error.Message, StringComparison.Ordinal);
        Assert.Contains("SQL Server (Microsoft.EntityFrameworkCore.SqlServer, preview)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseHipaa_OnSqlServer_IsAccepted()
    {
        using var context = CreateApplicationContext();

        Assert.NotNull(context.Model.FindEntityType(typeof(Note)));
        Assert.Equal(DatabaseDialect.SqlServerProviderName, context.Database.ProviderName);
    }

    private static ClinicDb CreateApplicationContext() => Application.Value.GetRequiredService<IDbContextFactory<ClinicDb>>().CreateDbContext();

    /// <summary>The one statement EF Core's SQL Server provider writes for <paramref name="write"/>, captured instead of run.</summary>
    private static string Captured(Action<ClinicDb> write)
    {
        lock (Capture)
        {
            Capture.Clear();
            using (var context = new ClinicDb(CapturedOptions))
            {
                write(context);
            }

            return Assert.Single(Capture.Statements);
        }
    }

    private static string[] OutputColumn(OutputClause output)
    {
        var column = Assert.IsType<SelectScalarExpression>(Assert.Single(output.SelectColumns));
        return [.. ((ColumnReferenceExpression)column.Expression).MultiPartIdentifier.Identifiers.Select(i => i.Value)];
    }
}
