using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// The client methods <see cref="ProjectionAttributionInterceptor"/> puts into a final projection. EF Core cannot
/// translate them, so it evaluates them on the client.
/// </summary>
internal static class PhiProjection
{
    /// <summary>The most values <see cref="ProjectMethod"/> passes to one projector.</summary>
    public const int MaxProjectedValues = 8;

    private static readonly MethodInfo[] ProjectMethods = [.. typeof(PhiProjection).GetMethods()
        .Where(m => m.Name == nameof(Project))
        .OrderBy(m => m.GetGenericArguments().Length)];

    /// <summary>
    /// Returns <paramref name="entity"/> itself: its only effect is that EF Core materializes the whole entity, which runs
    /// the read hook (decrypt, decide, redact, record) before a value is read from it.
    /// </summary>
    /// <typeparam name="TEntity">The PHI entity type.</typeparam>
    /// <param name="entity">The entity, materialized by EF Core.</param>
    /// <returns>The same entity.</returns>
    public static TEntity? Materialize<TEntity>(TEntity? entity)
        where TEntity : class => entity;

    /// <summary>
    /// The name of the query parameter through which a client projection receives the <see cref="DbContext"/> it runs
    /// for: <see cref="ReadAheadQueryCompiler"/> sets it on every execution (<see cref="ProvideContext"/>). A dot cannot
    /// occur in a name EF Core gives a captured variable, so no query parameter of the application's can take it.
    /// </summary>
    public const string ContextParameterName = "hipaa.context";

    /// <summary>Gets the query parameter <see cref="ContextParameterName"/>, as a projection refers to it.</summary>
    public static Expression ContextParameter { get; } = new QueryParameterExpression(ContextParameterName, typeof(DbContext));

    /// <summary>Sets <see cref="ContextParameterName"/> for one execution of a query.</summary>
    /// <param name="queryContext">The execution's query context.</param>
    public static void ProvideContext(QueryContext queryContext) => queryContext.Parameters[ContextParameterName] = queryContext.Context;

    /// <summary>
    /// Returns <paramref name="result"/>, a row of a query grouped by patient (<see cref="PatientGrouping"/>), once its
    /// group's patient has been decided by policy and recorded (<see cref="PatientGroupRead"/>): every value of the row
    /// was computed in SQL from that patient's rows of <typeparamref name="TEntity"/> alone.
    /// </summary>
    /// <typeparam name="TResult">The row's type, as the query projects it.</typeparam>
    /// <typeparam name="TEntity">The grouped PHI entity type.</typeparam>
    /// <typeparam name="TPatientId">The type of the group's patient id (as the grouping key holds it).</typeparam>
    /// <param name="result">The row, as the query projects it.</param>
    /// <param name="patientId">The group's patient id, read from its key.</param>
    /// <param name="context">The context the query runs for (<see cref="ContextParameter"/>).</param>
    /// <param name="fields">The fields of <typeparamref name="TEntity"/> the query reads, joined as an audit record holds them.</param>
    /// <returns><paramref name="result"/>.</returns>
    public static TResult ObserveGroup<TResult, TEntity, TPatientId>(TResult result, TPatientId patientId, DbContext context, string fields)
        where TEntity : class
    {
        PatientGroupRead.Record(context, typeof(TEntity), patientId, fields);
        return result;
    }

    /// <summary>Gets the projector <see cref="SharedMaterialization"/> registered as <paramref name="id"/> (see <see cref="ProjectorRegistry"/>).</summary>
    /// <typeparam name="TDelegate">The projector's delegate type.</typeparam>
    /// <param name="id">The projector's number.</param>
    /// <returns>The compiled projector.</returns>
    public static TDelegate Projector<TDelegate>(int id)
        where TDelegate : Delegate => ProjectorRegistry.Get<TDelegate>(id);

    /// <summary>
    /// The open generic <c>Project</c> of <paramref name="values"/> arguments: the projection's body compiled into a
    /// projector that receives each materialized PHI entity once per row (and the row's other values), so a DTO that reads
    /// five fields of one entity materializes it once, not once per field.
    /// </summary>
    public static MethodInfo ProjectMethod(int values) => ProjectMethods[values - 1];

    /// <summary>Calls <paramref name="projector"/> once with the row's values (see <see cref="ProjectMethod"/>).</summary>
    public static TResult Project<T1, TResult>(T1 a1, Func<T1, TResult> projector) => projector(a1);

    /// <summary>Calls <paramref name="projector"/> once with the row's values (see <see cref="ProjectMethod"/>).</summary>
    public static TResult Project<T1, T2, TResult>(T1 a1, T2 a2, Func<T1, T2, TResult> projector) => projector(a1, a2);

    /// <summary>Calls <paramref name="projector"/> once with the row's values (see <see cref="ProjectMethod"/>).</summary>
    public static TResult Project<T1, T2, T3, TResult>(T1 a1, T2 a2, T3 a3, Func<T1, T2, T3, TResult> projector) => projector(a1, a2, a3);

    /// <summary>Calls <paramref name="projector"/> once with the row's values (see <see cref="ProjectMethod"/>).</summary>
    public static TResult Project<T1, T2, T3, T4, TResult>(T1 a1, T2 a2, T3 a3, T4 a4, Func<T1, T2, T3, T4, TResult> projector) => projector(a1, a2, a3, a4);

    /// <summary>Calls <paramref name="projector"/> once with the row's values (see <see cref="ProjectMethod"/>).</summary>
    public static TResult Project<T1, T2, T3, T4, T5, TResult>(T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, Func<T1, T2, T3, T4, T5, TResult> projector) => projector(a1, a2, a3, a4, a5);

    /// <summary>Calls <paramref name="projector"/> once with the row's values (see <see cref="ProjectMethod"/>).</summary>
    public static TResult Project<T1, T2, T3, T4, T5, T6, TResult>(T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, Func<T1, T2, T3, T4, T5, T6, TResult> projector) => projector(a1, a2, a3, a4, a5, a6);

    /// <summary>Calls <paramref name="projector"/> once with the row's values (see <see cref="ProjectMethod"/>).</summary>
    public static TResult Project<T1, T2, T3, T4, T5, T6, T7, TResult>(T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, Func<T1, T2, T3, T4, T5, T6, T7, TResult> projector) => projector(a1, a2, a3, a4, a5, a6, a7);

    /// <summary>Calls <paramref name="projector"/> once with the row's values (see <see cref="ProjectMethod"/>).</summary>
    public static TResult Project<T1, T2, T3, T4, T5, T6, T7, T8, TResult>(T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, Func<T1, T2, T3, T4, T5, T6, T7, T8, TResult> projector) => projector(a1, a2, a3, a4, a5, a6, a7, a8);
}
