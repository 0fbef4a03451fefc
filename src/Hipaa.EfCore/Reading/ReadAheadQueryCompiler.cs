#pragma warning disable EF1001 // QueryCompiler is EF Core's internal seam between a LINQ query and its compiled delegate.
using System.Linq.Expressions;
using System.Reflection;
using Hipaa.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Query.Internal;
using Microsoft.EntityFrameworkCore.Storage;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// EF Core's query compiler, with every compiled query's result wrapped so that, under
/// <see cref="ReadAuditCommit.PerBatch"/>, its read records are committed in one group commit per batch of results and
/// before any result of the batch reaches the caller: a sequence (<c>ToListAsync</c>, <c>await foreach</c>, compiled
/// queries) is read ahead up to <see cref="QueryAuditingOptions.ReadAheadRows"/> results at a time; a single result
/// (<c>FirstAsync</c>, <c>SingleAsync</c>, <c>CountAsync</c>, …) is held until its records are committed. The wrapper is
/// part of the compiled (and cached) delegate and finds the context's runtime at each execution, so queries of contexts
/// without auditing, or under another commit mode, run exactly as EF Core compiled them. Every execution also gets the
/// query parameter through which a client projection finds its context (<see cref="PhiProjection.ProvideContext"/>).
/// </summary>
internal sealed class ReadAheadQueryCompiler(
    IQueryContextFactory queryContextFactory,
    ICompiledQueryCache compiledQueryCache,
    ICompiledQueryCacheKeyGenerator compiledQueryCacheKeyGenerator,
    IDatabase database,
    IDiagnosticsLogger<DbLoggerCategory.Query> logger,
    ICurrentDbContext currentContext,
    IEvaluatableExpressionFilter evaluatableExpressionFilter,
    IModel model)
    : QueryCompiler(queryContextFactory, compiledQueryCache, compiledQueryCacheKeyGenerator, database, logger, currentContext, evaluatableExpressionFilter, model)
{
    private static readonly MethodInfo AsyncSequenceMethod = typeof(ReadAheadQueryCompiler).GetMethod(nameof(AsyncSequence), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo SequenceMethod = typeof(ReadAheadQueryCompiler).GetMethod(nameof(Sequence), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo TaskMethod = typeof(ReadAheadQueryCompiler).GetMethod(nameof(SingleAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private readonly ICurrentDbContext _currentContext = currentContext;

    public override Func<QueryContext, TResult> CompileQueryCore<TResult>(IDatabase database, Expression query, IModel model, bool async)
    {
        var compiled = base.CompileQueryCore<TResult>(database, query, model, async);
        var pin = HipaaContext.Audit(_currentContext.Context) is { } audit ? PatientPin.Find(query, audit, model, _currentContext.Context) : null;
        var type = typeof(TResult);
        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var element = type.GetGenericArguments()[0];
            if (definition == typeof(IAsyncEnumerable<>))
            {
                return (Func<QueryContext, TResult>)AsyncSequenceMethod.MakeGenericMethod(element).Invoke(null, [compiled])!;
            }

            if (definition == typeof(IEnumerable<>))
            {
                return (Func<QueryContext, TResult>)SequenceMethod.MakeGenericMethod(element).Invoke(null, [compiled])!;
            }

            if (definition == typeof(Task<>))
            {
                return (Func<QueryContext, TResult>)TaskMethod.MakeGenericMethod(element).Invoke(null, [compiled, pin])!;
            }
        }

        if (type == typeof(Task) || type == typeof(System.Collections.IEnumerable))
        {
            return compiled; // nothing materialized here (ToQueryString, a bare Task)
        }

        return queryContext =>
        {
            PhiProjection.ProvideContext(queryContext);
            var batch = Batching(queryContext);
            var session = Enter(queryContext, batch, pin);
            try
            {
                var result = compiled(queryContext);
                batch?.Session.FlushAsync(batch.Context, batch.Runtime, async: false, CancellationToken.None).GetAwaiter().GetResult();
                return result;
            }
            finally
            {
                Leave(session, batch, pin);
            }
        };
    }

    /// <summary>Before a single result is computed: opens its batch and the patients its predicate pins it to.</summary>
    private static ReadSession? Enter(QueryContext queryContext, Batch? batch, PatientPin? pin)
    {
        if (batch is not null)
        {
            batch.Session.BatchScopes++;
        }

        if (pin is null || HipaaContext.Audit(queryContext.Context) is null)
        {
            return null;
        }

        var session = batch?.Session ?? ReadSession.For(queryContext.Context);
        session.Pins.Push(new PinnedPatients(pin.Model, pin.PatientIds(queryContext)));
        return session;
    }

    private static void Leave(ReadSession? pinned, Batch? batch, PatientPin? pin)
    {
        if (pinned is not null && pin is not null)
        {
            pinned.Pins.Pop();
        }

        if (batch is not null)
        {
            batch.Session.BatchScopes--;
        }
    }

    /// <summary>The context's read path when its results are committed per batch; <see langword="null"/> otherwise.</summary>
    internal static Batch? Batching(QueryContext queryContext)
    {
        var context = queryContext.Context;
        return HipaaContext.Audit(context) is { Options.ReadAuditCommit: ReadAuditCommit.PerBatch } runtime
            ? new Batch(context, runtime, ReadSession.For(context))
            : null;
    }

    private static Func<QueryContext, IAsyncEnumerable<T>> AsyncSequence<T>(Func<QueryContext, IAsyncEnumerable<T>> compiled) =>
        queryContext =>
        {
            PhiProjection.ProvideContext(queryContext);
            return Batching(queryContext) is { } batch ? new ReadAheadAsyncEnumerable<T>(compiled(queryContext), batch) : compiled(queryContext);
        };

    private static Func<QueryContext, IEnumerable<T>> Sequence<T>(Func<QueryContext, IEnumerable<T>> compiled) =>
        queryContext =>
        {
            PhiProjection.ProvideContext(queryContext);
            return Batching(queryContext) is { } batch ? new ReadAheadEnumerable<T>(compiled(queryContext), batch) : compiled(queryContext);
        };

    private static Func<QueryContext, Task<T>> SingleAsync<T>(Func<QueryContext, Task<T>> compiled, PatientPin? pin) =>
        queryContext =>
        {
            PhiProjection.ProvideContext(queryContext);
            return Batching(queryContext) is var batch && (batch is not null || pin is not null)
                ? HoldUntilRecordedAsync(compiled, queryContext, batch, pin)
                : compiled(queryContext);
        };

    private static async Task<T> HoldUntilRecordedAsync<T>(Func<QueryContext, Task<T>> compiled, QueryContext queryContext, Batch? batch, PatientPin? pin)
    {
        var pinned = Enter(queryContext, batch, pin);
        try
        {
            var result = await compiled(queryContext).ConfigureAwait(false);
            if (batch is not null)
            {
                await batch.Session.FlushAsync(batch.Context, batch.Runtime, async: true, queryContext.CancellationToken).ConfigureAwait(false);
            }

            return result;
        }
        finally
        {
            Leave(pinned, batch, pin);
        }
    }

    /// <summary>The patients a running aggregate is pinned to (see <see cref="PatientPin"/>).</summary>
    internal sealed record PinnedPatients(Auditing.PhiEntityModel Model, IReadOnlyList<string> PatientIds);

    /// <summary>What a read-ahead batch needs: the context, its audit runtime and its read session.</summary>
    internal sealed record Batch(DbContext Context, Auditing.AuditRuntime Runtime, ReadSession Session)
    {
        public int Rows => Runtime.Options.ReadAheadRows;
    }
}
