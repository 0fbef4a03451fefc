using System.Linq.Expressions;
using System.Reflection;
using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// Attribution of a query grouped by patient. A <c>GroupBy</c> of one PHI entity set whose key is, or contains, the
/// entity's patient id — <c>GroupBy(n =&gt; n.PatientId)</c>, <c>GroupBy(n =&gt; new { n.PatientId, n.Kind })</c>, the
/// same through the navigation the patient id is the foreign key of (<c>GroupBy(n =&gt; n.Patient.Id)</c>) — returns rows
/// each computed from one patient's rows alone: its key and aggregates over its group. When the whole query allows no
/// other reading (below), its final projection <c>Select(g =&gt; body)</c> becomes
/// <c>Select(g =&gt; ObserveGroup(body, g.Key.PatientId, context, fields))</c>: EF Core still computes the body in SQL,
/// adds the key's patient-id column to the SQL projection when the body does not return it
/// (<c>Select(g =&gt; g.Count())</c>), and calls <see cref="PhiProjection.ObserveGroup"/> on the client for every row, which
/// decides and records the row's patient before the row leaves (<see cref="PatientGroupRead"/>).
/// <para>
/// Operators between the <c>GroupBy</c> and the projection that read only the group (<c>Where(g =&gt; g.Count() &gt; 1)</c>,
/// <c>OrderBy(g =&gt; g.Key)</c>, <c>Take</c>, <c>Skip</c>) stay where they are; operators after the projection that read its
/// members (<c>Select(g =&gt; new { g.Key, N = g.Count() }).OrderByDescending(x =&gt; x.N).Take(5)</c>, a second
/// <c>Select</c>) are moved before it with the projection's members put in their place (<c>OrderByDescending(g =&gt;
/// g.Count())</c>), which returns the same rows; a result selector (<c>GroupBy(key, (k, g) =&gt; …)</c>) becomes the projection.
/// </para>
/// <para>
/// Anything else leaves the query as it was, recorded unattributed with its PHI tables (never dropped): a source other
/// than the entity set itself (raw SQL, a join, <c>SelectMany</c>), a key without the patient id, a comparer, a lambda
/// that reads another entity than the grouped one (a subquery, a navigation — except the patient id's own, read only for
/// its key — a mapped database function), a projection that returns entities or the group itself (<c>g.First()</c>,
/// <c>g.ToList()</c>), <c>Distinct</c> or an aggregate over the grouped rows.
/// </para>
/// </summary>
internal sealed class PatientGrouping(AuditRuntime runtime, IModel model)
{
    private static readonly MethodInfo ObserveGroupMethod = typeof(PhiProjection).GetMethod(nameof(PhiProjection.ObserveGroup))!;
    private static readonly MethodInfo PropertyMethod = typeof(EF).GetMethod(nameof(EF.Property))!;

    private IModel Model { get; } = model;

    private AuditRuntime Runtime { get; } = runtime;

    /// <summary>Operators below the <c>GroupBy</c> that filter, order or page the entity's rows, or only tag or track the query.</summary>
    private static readonly HashSet<string> RowOperators = new(StringComparer.Ordinal)
    {
        nameof(Queryable.Where), nameof(Queryable.OrderBy), nameof(Queryable.OrderByDescending), nameof(Queryable.ThenBy),
        nameof(Queryable.ThenByDescending), nameof(Queryable.Take), nameof(Queryable.Skip),
        "AsNoTracking", "AsTracking", "AsNoTrackingWithIdentityResolution", "TagWith", "TagWithCallSite", "IgnoreQueryFilters",
    };

    /// <summary>Operators over groups (or projected rows, which are moved before the projection) that EF Core translates.</summary>
    private static readonly HashSet<string> GroupOperators = new(StringComparer.Ordinal)
    {
        nameof(Queryable.Where), nameof(Queryable.OrderBy), nameof(Queryable.OrderByDescending), nameof(Queryable.ThenBy),
        nameof(Queryable.ThenByDescending), nameof(Queryable.Take), nameof(Queryable.Skip),
        "AsNoTracking", "AsTracking", "AsNoTrackingWithIdentityResolution", "TagWith", "TagWithCallSite", "IgnoreQueryFilters",
    };

    /// <summary>Aggregates over a group that return one value computed from its rows.</summary>
    private static readonly HashSet<string> GroupAggregates = new(StringComparer.Ordinal)
    {
        nameof(Enumerable.Count), nameof(Enumerable.LongCount), nameof(Enumerable.Sum), nameof(Enumerable.Min),
        nameof(Enumerable.Max), nameof(Enumerable.Average), nameof(Enumerable.Any), nameof(Enumerable.All),
    };

    /// <summary>Operators over a group's rows that an aggregate may read through.</summary>
    private static readonly HashSet<string> GroupRowOperators = new(StringComparer.Ordinal)
    {
        nameof(Enumerable.Where), nameof(Enumerable.Select), nameof(Enumerable.Distinct),
    };

    /// <summary>
    /// The query with its final projection observing each row's patient, or <see langword="null"/> when
    /// <paramref name="query"/> is not a query grouped by patient that can be attributed.
    /// </summary>
    public Expression? TryRewrite(MethodCallExpression query)
    {
        try
        {
            return Rewrite(query);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return null; // an operator over groups we could not rebuild: the query stays as it was, recorded unattributed
        }
    }

    private Expression? Rewrite(MethodCallExpression query)
    {
        // The operators above the GroupBy, top first.
        var above = new List<MethodCallExpression>();
        Expression current = query;
        MethodCallExpression? groupBy = null;
        while (current is MethodCallExpression call && IsQueryOperator(call.Method) && call.Arguments.Count > 0)
        {
            if (call.Method.DeclaringType == typeof(Queryable) && call.Method.Name == nameof(Queryable.GroupBy))
            {
                groupBy = call;
                break;
            }

            above.Add(call);
            current = call.Arguments[0];
        }

        if (groupBy is null || !TryParseGroupBy(groupBy, out var key, out var element, out var result))
        {
            return null;
        }

        if (FindSource(groupBy.Arguments[0], out var filters) is not { } root || Runtime.GetModel(root.EntityType) is not { PatientId: { } patientId } phi)
        {
            return null;
        }

        var reads = new Reads(this, root.EntityType, phi);
        if (!filters.TrueForAll(reads.RowLambdaIsAllowed) || !reads.RowLambdaIsAllowed(key) || (element is not null && !reads.RowLambdaIsAllowed(element))
            || PatientPath(key, root.EntityType, patientId) is not { } path)
        {
            return null;
        }

        // The groups, then the operators over them; the projection (from a result selector, or the first Select) and
        // what is applied to its rows, moved before it.
        var elementType = element?.ReturnType ?? key.Parameters[0].Type;
        var grouping = typeof(IGrouping<,>).MakeGenericType(key.ReturnType, elementType);
        var g = Expression.Parameter(grouping, "g");
        Expression source = element is null
            ? Expression.Call(QueryableMethods.GroupByWithKeySelector.MakeGenericMethod(key.Parameters[0].Type, key.ReturnType), groupBy.Arguments[0], Expression.Quote(key))
            : Expression.Call(QueryableMethods.GroupByWithKeyElementSelector.MakeGenericMethod(key.Parameters[0].Type, key.ReturnType, elementType), groupBy.Arguments[0], Expression.Quote(key), Expression.Quote(element));
        Expression? body = result is null
            ? null
            : ReplacingExpressionVisitor.Replace([result.Parameters[0], result.Parameters[1]], [Expression.Property(g, nameof(IGrouping<,>.Key)), g], result.Body);

        for (var i = above.Count - 1; i >= 0; i--)
        {
            var call = above[i];
            var name = call.Method.Name;
            if (body is null && name == nameof(Queryable.Select))
            {
                if (call.Arguments.Count != 2 || Unquote(call.Arguments[1]) is not { Parameters: [var row] } projection || row.Type != grouping)
                {
                    return null;
                }

                body = ReplacingExpressionVisitor.Replace(row, g, projection.Body);
                continue;
            }

            if (body is not null && name == nameof(Queryable.Select) && call.Arguments.Count == 2 && Unquote(call.Arguments[1]) is { Parameters: [var projected] } next)
            {
                body = ReplacingExpressionVisitor.Replace(projected, body, next.Body); // Select(f).Select(h) is Select(h ∘ f)
                continue;
            }

            if (!GroupOperators.Contains(name) || !IsQueryOperator(call.Method) || !call.Method.IsGenericMethod)
            {
                return null;
            }

            if (OverGroups(call, source, g, body, reads) is not { } moved)
            {
                return null;
            }

            source = moved;
        }

        if (body is null || !reads.GroupLambdaIsAllowed(body, g))
        {
            return null;
        }

        Expression patient = Expression.Property(g, nameof(IGrouping<,>.Key));
        foreach (var member in path)
        {
            patient = Expression.MakeMemberAccess(patient, member);
        }

        var observed = Expression.Call(
            ObserveGroupMethod.MakeGenericMethod(body.Type, root.EntityType.ClrType, patient.Type),
            body,
            patient,
            PhiProjection.ContextParameter,
            Expression.Constant(reads.FieldList));
        var rewritten = Expression.Call(QueryableMethods.Select.MakeGenericMethod(grouping, body.Type), source, Expression.Quote(Expression.Lambda(observed, g)));
        return QueryableElementType(query.Type) == body.Type ? rewritten : null;
    }

    /// <summary>
    /// <paramref name="call"/> applied to the groups (<paramref name="source"/>): as it is when it reads the groups, with
    /// the projection <paramref name="body"/> put in place of its row when it reads projected rows.
    /// </summary>
    private static Expression? OverGroups(MethodCallExpression call, Expression source, ParameterExpression g, Expression? body, Reads reads)
    {
        var definition = call.Method.GetGenericMethodDefinition();
        var arguments = new List<Expression> { source };
        var types = new List<Type> { g.Type };
        for (var i = 1; i < call.Arguments.Count; i++)
        {
            var argument = call.Arguments[i];
            if (Unquote(argument) is { } lambda)
            {
                if (lambda.Parameters is not [var row])
                {
                    return null; // an indexed Where, …
                }

                var overGroup = ReplacingExpressionVisitor.Replace(row, body ?? g, lambda.Body);
                if (body is null && row.Type != g.Type)
                {
                    return null;
                }

                if (!reads.GroupLambdaIsAllowed(overGroup, g))
                {
                    return null;
                }

                arguments.Add(Expression.Quote(Expression.Lambda(overGroup, g)));
                types.Add(overGroup.Type);
            }
            else if (argument.Type.IsAssignableTo(typeof(Expression)) || argument.Type.IsAssignableTo(typeof(System.Collections.IComparer)))
            {
                return null; // a comparer, or a lambda we could not read
            }
            else
            {
                arguments.Add(argument);
            }
        }

        // OrderBy<TSource, TKey>, Where<TSource>, Take<TSource>, TagWith<T>: the source's element, then each lambda's result.
        var generic = definition.GetGenericArguments().Length;
        if (generic != types.Count && generic != 1)
        {
            return null;
        }

        var method = definition.MakeGenericMethod(generic == 1 ? [g.Type] : [.. types]);
        return Expression.Call(method, arguments);
    }

    private static bool TryParseGroupBy(MethodCallExpression groupBy, out LambdaExpression key, out LambdaExpression? element, out LambdaExpression? result)
    {
        key = null!;
        element = null;
        result = null;
        var definition = groupBy.Method.GetGenericMethodDefinition();
        if (Unquote(groupBy.Arguments[1]) is not { Parameters.Count: 1 } keySelector)
        {
            return false;
        }

        key = keySelector;
        if (definition == QueryableMethods.GroupByWithKeySelector)
        {
            return true;
        }

        if (definition == QueryableMethods.GroupByWithKeyElementSelector)
        {
            element = Unquote(groupBy.Arguments[2]);
            return element is { Parameters.Count: 1 };
        }

        if (definition == QueryableMethods.GroupByWithKeyResultSelector)
        {
            result = Unquote(groupBy.Arguments[2]);
            return result is { Parameters.Count: 2 };
        }

        if (definition == QueryableMethods.GroupByWithKeyElementResultSelector)
        {
            element = Unquote(groupBy.Arguments[2]);
            result = Unquote(groupBy.Arguments[3]);
            return element is { Parameters.Count: 1 } && result is { Parameters.Count: 2 };
        }

        return false; // an IEqualityComparer overload: EF Core does not translate it anyway
    }

    /// <summary>The entity set the grouped rows come from, with the lambdas of the operators between it and the GroupBy.</summary>
    private static EntityQueryRootExpression? FindSource(Expression source, out List<LambdaExpression> filters)
    {
        filters = [];
        while (source is MethodCallExpression call && IsQueryOperator(call.Method) && call.Arguments.Count > 0 && RowOperators.Contains(call.Method.Name))
        {
            for (var i = 1; i < call.Arguments.Count; i++)
            {
                if (Unquote(call.Arguments[i]) is { } lambda)
                {
                    if (lambda.Parameters.Count != 1)
                    {
                        return null;
                    }

                    filters.Add(lambda);
                }
            }

            source = call.Arguments[0];
        }

        // The entity set itself: not FromSql (its SQL may fill any column with anything), nor a temporal or other root.
        return source is EntityQueryRootExpression root && root.GetType() == typeof(EntityQueryRootExpression) ? root : null;
    }

    /// <summary>
    /// The members that lead from the grouping key to the entity's patient id: none when the key is the patient id
    /// (<c>n.PatientId</c>, <c>n.Patient.Id</c> through the navigation the patient id is the foreign key of), the member of
    /// an anonymous or DTO key that holds it; <see langword="null"/> when the key does not hold it.
    /// </summary>
    private static List<MemberInfo>? PatientPath(LambdaExpression key, IEntityType entityType, IProperty patientId)
    {
        var row = key.Parameters[0];
        var body = StripNullable(key.Body, patientId);
        if (IsPatientId(body, row, entityType, patientId))
        {
            return [];
        }

        switch (body)
        {
            case NewExpression { Members: { } members } created:
                for (var i = 0; i < created.Arguments.Count; i++)
                {
                    if (members[i] is PropertyInfo or FieldInfo && IsPatientId(StripNullable(created.Arguments[i], patientId), row, entityType, patientId))
                    {
                        return [members[i]];
                    }
                }

                return null;
            case MemberInitExpression initialized:
                foreach (var binding in initialized.Bindings)
                {
                    if (binding is MemberAssignment { Member: PropertyInfo or FieldInfo } assignment && IsPatientId(StripNullable(assignment.Expression, patientId), row, entityType, patientId))
                    {
                        return [assignment.Member];
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>Whether <paramref name="expression"/> is the row's patient id: <c>n.PatientId</c>, or <c>n.Patient.Id</c> (<see cref="IsPatientKeyAccess"/>).</summary>
    private static bool IsPatientId(Expression expression, ParameterExpression row, IEntityType entityType, IProperty patientId) =>
        expression is MemberExpression { Expression: { } owner } member
        && ((StripConvert(owner) == row && member.Member.Name == patientId.Name)
            || (StripConvert(owner) is MemberExpression { Expression: { } inner } navigation && StripConvert(inner) == row
                && IsPatientKeyAccess(entityType, patientId, navigation.Member.Name, member.Member.Name)));

    /// <summary>
    /// Whether <c>n.<paramref name="navigation"/>.<paramref name="property"/></c> is the value of the row's own patient id:
    /// the navigation's foreign key is the patient id, and the property is the principal key it refers to.
    /// </summary>
    private static bool IsPatientKeyAccess(IEntityType entityType, IProperty patientId, string navigation, string property) =>
        entityType.FindNavigation(navigation) is { IsOnDependent: true, ForeignKey: var foreignKey }
        && foreignKey.Properties is [var dependent] && dependent == patientId
        && foreignKey.PrincipalKey.Properties is [var principal] && principal.Name == property;

    /// <summary>
    /// <paramref name="expression"/> without a conversion to the nullable twin of the patient id's type (<c>(Guid?)n.PatientId</c>).
    /// Any other conversion (<c>(object)n.PatientId</c>, to another type) is kept, so it is not taken for the patient id:
    /// read as another type, the id could be formatted otherwise than the read hook formats it (a Guid as SQLite's text).
    /// </summary>
    private static Expression StripNullable(Expression expression, IProperty patientId)
    {
        var idType = Nullable.GetUnderlyingType(patientId.ClrType) ?? patientId.ClrType;
        while (expression is UnaryExpression { NodeType: ExpressionType.Convert } convert && (Nullable.GetUnderlyingType(convert.Type) ?? convert.Type) == idType)
        {
            expression = convert.Operand;
        }

        return expression;
    }

    private static Expression StripConvert(Expression expression)
    {
        while (expression is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked or ExpressionType.TypeAs } convert)
        {
            expression = convert.Operand;
        }

        return expression;
    }

    private static bool IsQueryOperator(MethodInfo method) =>
        method.DeclaringType == typeof(Queryable) || method.DeclaringType == typeof(EntityFrameworkQueryableExtensions);

    private static LambdaExpression? Unquote(Expression expression) => expression switch
    {
        UnaryExpression { NodeType: ExpressionType.Quote, Operand: LambdaExpression lambda } => lambda,
        LambdaExpression lambda => lambda,
        _ => null,
    };

    private static Type? QueryableElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IQueryable<>) ? type.GetGenericArguments()[0]
        : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IQueryable<>))?.GetGenericArguments()[0];

    private static Type? SequenceElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>) ? type.GetGenericArguments()[0]
        : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

    /// <summary>
    /// What the lambdas of a grouped query read: each is checked to read nothing but the grouped entity's own columns (and
    /// its owned types), the group's key and aggregates over the group; the grouped entity's fields they name are collected.
    /// </summary>
    private sealed class Reads(PatientGrouping owner, IEntityType grouped, PhiEntityModel phi)
    {
        private readonly HashSet<string> _fields = new(StringComparer.Ordinal);

        /// <summary>Gets the grouped entity's fields the checked lambdas name, in the model's order, as an audit record holds them.</summary>
        public string FieldList => string.Join(AuditEntry.ListSeparator, phi.Fields.Where(_fields.Contains));

        /// <summary>Whether a lambda over one row (of the grouped entity, or an element of a group) reads only that row.</summary>
        public bool RowLambdaIsAllowed(LambdaExpression lambda)
        {
            var visitor = new RowVisitor(this);
            visitor.Visit(lambda.Body);
            return !visitor.Failed;
        }

        /// <summary>Whether a lambda body over a group <paramref name="g"/> reads only its key and aggregates over its rows.</summary>
        public bool GroupLambdaIsAllowed(Expression body, ParameterExpression g)
        {
            var visitor = new GroupVisitor(this, g);
            visitor.Visit(body);
            return !visitor.Failed;
        }

        private IModel Model => owner.Model;

        private bool IsEntityShaped(Type type) => EntityTypeOf(type) is not null;

        private bool IsNonOwnedEntityShaped(Type type) => EntityTypeOf(type) is { } entityType && !entityType.IsOwned();

        /// <summary>The entity type <paramref name="type"/> is, or is a collection of (owned types included).</summary>
        private IEntityType? EntityTypeOf(Type type) =>
            type == typeof(string) ? null : Model.FindEntityType(type) ?? (SequenceElementType(type) is { } element ? Model.FindEntityType(element) : null);

        /// <summary>Rules shared by row and group lambdas: no subquery over entities, no mapped function, no other EF Core node.</summary>
        private class ReadVisitor(Reads reads) : ExpressionVisitor
        {
            public bool Failed { get; protected set; }

            protected Reads Reads => reads;

            public override Expression? Visit(Expression? node) => Failed ? node : base.Visit(node);

            protected override Expression VisitExtension(Expression node)
            {
                Failed |= node is not QueryParameterExpression; // an entity set (a subquery) or another EF Core node
                return node;
            }

            protected override Expression VisitMember(MemberExpression node)
            {
                if (node.Expression is null)
                {
                    return node; // a static member: evaluated as a parameter
                }

                // n.Patient.Id, where the patient id is the navigation's foreign key: the row's own patient id.
                if (StripConvert(node.Expression) is MemberExpression { Expression: { } inner } navigation
                    && reads.Model.FindEntityType(StripConvert(inner).Type) is { } owner && reads.GroupedOrNull(owner) is not null
                    && reads.PatientIdOf(owner) is { } patientId && IsPatientKeyAccess(owner, patientId, navigation.Member.Name, node.Member.Name))
                {
                    reads.Note(owner, patientId.Name);
                    Visit(inner);
                    return node;
                }

                // A navigation, however it is reached (through a cast to a derived type or an interface too): another
                // entity's rows, even of the same patient, are left to the unattributed record. Owned types are the row's.
                if (reads.IsNonOwnedEntityShaped(node.Type))
                {
                    Failed = true;
                    return node;
                }

                if (reads.Model.FindEntityType(node.Expression.Type) is { } entityType)
                {
                    reads.Note(entityType, node.Member.Name);
                }

                return base.VisitMember(node);
            }

            protected override Expression VisitMethodCall(MethodCallExpression node)
            {
                var declaring = node.Method.DeclaringType;
                if ((declaring == typeof(Queryable) || declaring == typeof(Enumerable)) && node.Arguments.Count > 0
                    && (reads.IsEntityShaped(node.Arguments[0].Type) || reads.IsEntityShaped(node.Type)))
                {
                    Failed = true; // a subquery over entities (a collection navigation, another set)
                    return node;
                }

                if (reads.Model.FindDbFunction(node.Method) is not null || declaring == typeof(RelationalQueryableExtensions))
                {
                    Failed = true; // a mapped function reads whatever its SQL reads
                    return node;
                }

                if (node.Method.IsGenericMethod && node.Method.GetGenericMethodDefinition() == PropertyMethod
                    && node.Arguments is [var entity, ConstantExpression { Value: string property }]
                    && reads.Model.FindEntityType(entity.Type) is { } entityType)
                {
                    if (reads.IsNonOwnedEntityShaped(node.Type) || (entityType.FindNavigation(property) is { } navigation && !navigation.TargetEntityType.IsOwned()) || entityType.FindSkipNavigation(property) is not null)
                    {
                        Failed = true;
                        return node;
                    }

                    reads.Note(entityType, property);
                    Visit(entity);
                    return node;
                }

                return base.VisitMethodCall(node);
            }
        }

        private sealed class RowVisitor(Reads reads) : ReadVisitor(reads);

        /// <summary>A group lambda: the key (and its members), aggregates over the group's rows, values of the query.</summary>
        private sealed class GroupVisitor(Reads reads, ParameterExpression g) : ReadVisitor(reads)
        {
            protected override Expression VisitParameter(ParameterExpression node)
            {
                Failed |= node == g; // the group itself, returned or compared: its rows would be materialized
                return node;
            }

            protected override Expression VisitMember(MemberExpression node)
            {
                if (node.Expression == g && node.Member.Name == nameof(IGrouping<,>.Key))
                {
                    return node;
                }

                if (node.Expression is NewExpression or MemberInitExpression)
                {
                    Failed = true; // a member of a projection that could not be put in its place
                    return node;
                }

                return base.VisitMember(node);
            }

            protected override Expression VisitMethodCall(MethodCallExpression node)
            {
                if (node.Method.DeclaringType == typeof(Enumerable) && node.Arguments.Count > 0 && RootedAtGroup(node.Arguments[0]))
                {
                    if (!GroupAggregates.Contains(node.Method.Name) || Reads.IsEntityShaped(node.Type) || !LambdasAllowed(node) || !ChainAllowed(node.Arguments[0]))
                    {
                        Failed = true;
                    }

                    return node;
                }

                return base.VisitMethodCall(node);
            }

            /// <summary>Whether <paramref name="source"/> is the group, or Where/Select/Distinct over it.</summary>
            private bool RootedAtGroup(Expression source)
            {
                while (source is MethodCallExpression { Arguments.Count: > 0 } call && call.Method.DeclaringType == typeof(Enumerable))
                {
                    source = call.Arguments[0];
                }

                return source == g;
            }

            private bool ChainAllowed(Expression source)
            {
                while (source is MethodCallExpression call)
                {
                    if (!GroupRowOperators.Contains(call.Method.Name) || !LambdasAllowed(call))
                    {
                        return false;
                    }

                    source = call.Arguments[0];
                }

                return true;
            }

            private bool LambdasAllowed(MethodCallExpression call)
            {
                for (var i = 1; i < call.Arguments.Count; i++)
                {
                    var argument = call.Arguments[i];
                    if (argument is LambdaExpression lambda)
                    {
                        if (lambda.Parameters.Count != 1 || !Reads.RowLambdaIsAllowed(lambda))
                        {
                            return false;
                        }
                    }
                    else
                    {
                        var visitor = new GroupVisitor(Reads, g);
                        visitor.Visit(argument);
                        if (visitor.Failed)
                        {
                            return false;
                        }
                    }
                }

                return true;
            }
        }

        /// <summary>The grouped entity type when <paramref name="entityType"/> is it (or one of its derived types).</summary>
        private IEntityType? GroupedOrNull(IEntityType entityType) =>
            (entityType == grouped || entityType.GetAllBaseTypes().Contains(grouped)) ? entityType : null;

        private IProperty? PatientIdOf(IEntityType entityType) => owner.Runtime.GetModel(entityType)?.PatientId;

        private void Note(IEntityType entityType, string member)
        {
            if (GroupedOrNull(entityType) is not null)
            {
                _fields.Add(member);
            }
        }
    }
}
