using System.Linq.Expressions;
using System.Reflection;
using System.Security.Cryptography;
using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// Attribution from the query, not from the SQL text. At query compilation, the final projection of a query (the last
/// <c>Select</c>, or the result selector of <c>SelectMany</c>/<c>Join</c>, followed by nothing that reads its members:
/// <c>Take</c>, <c>Skip</c>, <c>First</c>, <c>Single</c>, tracking and split options, tags) is rewritten so that every
/// value it reads from a PHI entity — <c>n.Text</c>, <c>n.Patient.Name</c>, <c>p.Home.Street</c> on an owned type,
/// <c>p.Home</c> itself — is read from that entity materialized on the client: <c>Materialize(n.Patient).Name</c>.
/// Materializing it runs the read hook, so the value is decrypted, decided by policy, redacted and recorded against the
/// entity's own patient before the caller gets it, whatever shape (anonymous type, DTO, scalar, join of several patients)
/// it is returned in. Queries whose PHI values all pass through entities this way are tagged: the command interceptor
/// then records unattributed only the rows resolved to entities already tracked. A query grouped by patient (a
/// <c>GroupBy</c> whose key holds the patient id) is rewritten so that each row observes its group's patient instead
/// (<see cref="PatientGrouping"/>), and is tagged the same way. Queries that cannot be rewritten (aggregates, other
/// <c>GroupBy</c> keys, <c>Distinct</c> or ordering over a projection, <c>EF.Property</c>) are recorded unattributed for
/// every row of their PHI tables, never dropped.
/// </summary>
internal sealed class ProjectionAttributionInterceptor : IQueryExpressionInterceptor
{
    /// <summary>
    /// The tag (an SQL comment in the command text) of a query whose PHI values all pass through materialized entities;
    /// random per process, so no tag written by hand or found in a raw SQL text can claim it.
    /// </summary>
    public static readonly string AttributedTag = "hipaa-attributed-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static readonly MethodInfo MaterializeMethod = typeof(PhiProjection).GetMethod(nameof(PhiProjection.Materialize))!;
    private static readonly MethodInfo TagWithMethod = typeof(EntityFrameworkQueryableExtensions).GetMethod(nameof(EntityFrameworkQueryableExtensions.TagWith))!;

    public static ProjectionAttributionInterceptor Instance { get; } = new();

    /// <summary>
    /// Whether <paramref name="commandText"/> comes from a query tagged <see cref="AttributedTag"/>: EF Core writes a
    /// query's tags as the leading <c>-- </c> comment lines of its command, and only there is the tag taken for ours — a
    /// copy of it in a literal (<c>EF.Constant</c>) further on does not count, and raw SQL or a <c>TagWith</c> carrying it is
    /// refused at compilation (<see cref="RefuseCopiedTag"/>).
    /// </summary>
    public static bool IsAttributed(string commandText)
    {
        var rest = commandText.AsSpan();
        while (rest.StartsWith("-- ", StringComparison.Ordinal))
        {
            var end = rest.IndexOfAny('\r', '\n');
            if ((end < 0 ? rest[3..] : rest[3..end]).SequenceEqual(AttributedTag))
            {
                return true;
            }

            if (end < 0)
            {
                return false;
            }

            rest = rest[(end + 1)..];
            if (rest.StartsWith("\n", StringComparison.Ordinal))
            {
                rest = rest[1..];
            }
        }

        return false;
    }

    public Expression QueryCompilationStarting(Expression queryExpression, QueryExpressionEventData eventData)
    {
        if (eventData.Context is not { } context || HipaaContext.Audit(context) is not { } runtime)
        {
            return queryExpression;
        }

        RefuseCopiedTag(queryExpression);
        var rewriter = new FinalProjectionRewriter(runtime, context.Model);
        var rewritten = rewriter.Rewrite(queryExpression, out var attributed);
        return attributed ? Tag(rewritten) : rewritten;
    }

    /// <summary>
    /// Refuses a query whose raw SQL (<c>FromSql</c>, <c>SqlQuery</c>) or own tag (<c>TagWith</c>) carries the attribution
    /// tag — copied from <c>ToQueryString()</c> of an attributed query, it would make the command interceptor skip the
    /// rows of a read that nothing records.
    /// </summary>
    /// <exception cref="InvalidOperationException">The query carries the tag.</exception>
    private static void RefuseCopiedTag(Expression query)
    {
        var finder = new CopiedTagFinder();
        finder.Visit(query);
        if (finder.Found)
        {
            throw new InvalidOperationException(
                "The query's raw SQL or tag contains the attribution tag of this process (" + AttributedTag[..17] + "…), as printed by ToQueryString() of a projection: "
                + "run the LINQ query itself, or remove the tag's comment line from the SQL. A copied tag would keep its rows out of the audit trail.");
        }
    }

    private sealed class CopiedTagFinder : ExpressionVisitor
    {
        public bool Found { get; private set; }

        public override Expression? Visit(Expression? node) => Found ? node : base.Visit(node);

        protected override Expression VisitExtension(Expression node)
        {
#pragma warning disable EF1001 // FromSqlQueryRootExpression and SqlQueryRootExpression are EF Core's (internal) roots of raw SQL queries.
            var sql = node switch
            {
                Microsoft.EntityFrameworkCore.Query.Internal.FromSqlQueryRootExpression fromSql => fromSql.Sql,
                Microsoft.EntityFrameworkCore.Query.Internal.SqlQueryRootExpression sqlQuery => sqlQuery.Sql,
                _ => null,
            };
#pragma warning restore EF1001
            Found |= sql?.Contains(AttributedTag, StringComparison.Ordinal) == true;
            return node;
        }

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (node.Method.DeclaringType == typeof(EntityFrameworkQueryableExtensions) && node.Method.Name == nameof(EntityFrameworkQueryableExtensions.TagWith)
                && node.Arguments is [_, ConstantExpression { Value: string tag }] && tag.Contains(AttributedTag, StringComparison.Ordinal))
            {
                Found = true;
                return node;
            }

            return base.VisitMethodCall(node);
        }
    }

    /// <summary>Adds the attributed tag to the query source, below a terminal operator (First, Single, …) if there is one.</summary>
    private static Expression Tag(Expression query)
    {
        if (query.Type.IsAssignableTo(typeof(IQueryable)) && QueryableElementType(query.Type) is { } element)
        {
            return Expression.Call(TagWithMethod.MakeGenericMethod(element), query, Expression.Constant(AttributedTag));
        }

        if (query is MethodCallExpression { Arguments.Count: > 0 } call && call.Arguments[0].Type.IsAssignableTo(typeof(IQueryable)))
        {
            var arguments = call.Arguments.ToArray();
            arguments[0] = Tag(arguments[0]);
            return call.Update(call.Object, arguments);
        }

        return query; // not a shape we know how to tag: left untagged, so recorded unattributed as well (never less)
    }

    private static Type? QueryableElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IQueryable<>) ? type.GetGenericArguments()[0]
        : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IQueryable<>))?.GetGenericArguments()[0];

    private sealed class FinalProjectionRewriter(AuditRuntime runtime, IModel model)
    {
        /// <summary>Operators after the final projection that EF Core applies without reading the projection's members.</summary>
        private static readonly HashSet<string> PassThrough = new(StringComparer.Ordinal)
        {
            nameof(Queryable.Take), nameof(Queryable.Skip), nameof(Queryable.ElementAt), nameof(Queryable.ElementAtOrDefault),
            "AsNoTracking", "AsTracking", "AsNoTrackingWithIdentityResolution", "AsSplitQuery", "AsSingleQuery",
            "TagWith", "TagWithCallSite", "IgnoreQueryFilters", "IgnoreAutoIncludes",
        };

        /// <summary>Terminal operators that return one element of the sequence, when called without a predicate.</summary>
        private static readonly HashSet<string> SingleElement = new(StringComparer.Ordinal)
        {
            nameof(Queryable.First), nameof(Queryable.FirstOrDefault), nameof(Queryable.Single), nameof(Queryable.SingleOrDefault),
            nameof(Queryable.Last), nameof(Queryable.LastOrDefault),
        };

        public Expression Rewrite(Expression query, out bool attributed)
        {
            if (query is not MethodCallExpression call || !IsQueryOperator(call.Method) || call.Arguments.Count == 0)
            {
                // A query root: a DbSet or FromSql of entities, each materialized through the read hook; anything else
                // (SqlQuery<T> of scalars or unmapped types, a FromSql of a non-PHI entity) is recorded unattributed.
                attributed = ReturnsEntities(query.Type) && IsClean(query);
                return query;
            }

            var name = call.Method.Name;
            if (PassThrough.Contains(name) || (SingleElement.Contains(name) && call.Arguments.Count == 1))
            {
                var source = Rewrite(call.Arguments[0], out attributed);
                return Replace(call, 0, source);
            }

            // A GroupBy whose key holds the patient id: each row observes its group's patient (PatientGrouping).
            if (new PatientGrouping(runtime, model).TryRewrite(call) is { } grouped)
            {
                attributed = true;
                return grouped;
            }

            var projection = name switch
            {
                nameof(Queryable.Select) when call.Arguments.Count == 2 => 1,
                nameof(Queryable.SelectMany) when call.Arguments.Count == 3 => 2,
                nameof(Queryable.Join) when call.Arguments.Count == 5 => 4,
                _ => -1,
            };

            if (projection >= 0 && Unquote(call.Arguments[projection]) is { } lambda)
            {
                var visitor = new PhiValueVisitor(runtime, model);
                var body = visitor.Visit(lambda.Body);

                // Attributed only when every PHI value it returns passes through a materialized entity: the projection's
                // own reads are rewritten (Complete), it materializes at least one PHI entity (a projection of constants or
                // non-PHI columns over PHI rows discloses those rows without materializing any), and what its parameters
                // stand for carries no PHI value computed in SQL by an earlier projection, GroupBy or set operator
                // (Select(v => new { v.Text }).Select(x => x.Text), let t = v.Text, g.Key of a GroupBy over PHI).
                attributed = visitor.Complete
                    && new PhiEntityFinder(this).Finds(body)
                    && ParametersCarryOnlyEntities(name, call, lambda)
                    && IsClean(query);

                // Then each PHI source is materialized once per row (SharedMaterialization), not once per value.
                if (attributed && !ReferenceEquals(body, lambda.Body) && SharedMaterialization.TryShare(body, lambda.Parameters, model) is { } shared)
                {
                    body = shared;
                }

                return ReferenceEquals(body, lambda.Body)
                    ? call
                    : Replace(call, projection, Expression.Quote(Expression.Lambda(lambda.Type, body, lambda.Parameters)));
            }

            // Any other last operator (Where, OrderBy, Include, GroupBy, Distinct, an aggregate, …): attributed when what
            // it returns is entities (the read hook sees each) and nothing else in it reads PHI (IsClean); otherwise its
            // PHI rows are recorded unattributed.
            attributed = ReturnsEntities(call.Type) && IsClean(query);
            return query;
        }

        private bool ReturnsEntities(Type type)
        {
            var element = QueryableElementType(type) ?? type;
            return model.FindEntityType(element) is { } entityType && !entityType.IsOwned() && HookSeesEveryPhiValue(entityType);
        }

        /// <summary>
        /// Whether materializing <paramref name="entityType"/> runs the read hook for every PHI value it carries: a PHI
        /// entity type, or one that reads no PHI table — not a type without [Phi] mapped onto a PHI entity's table or
        /// view (a keyless reporting type, <c>ToView("Notes")</c>), nor one defined by SQL or a function, whose PHI the
        /// hook would never see.
        /// </summary>
        private bool HookSeesEveryPhiValue(IEntityType entityType)
        {
            if (IsPhi(entityType))
            {
                return true;
            }

            if (entityType.GetSqlQuery() is not null || entityType.GetFunctionName() is not null)
            {
                return false;
            }

            _phiTables ??= [.. model.GetEntityTypes().Where(IsPhi).SelectMany(t => new[] { (t.GetSchema(), t.GetTableName()), (t.GetViewSchema(), t.GetViewName()) }).Where(n => n.Item2 is not null)];
            return !_phiTables.Any(t => SameTable(t, (entityType.GetSchema(), entityType.GetTableName())) || SameTable(t, (entityType.GetViewSchema(), entityType.GetViewName())));
        }

        private static bool SameTable((string? Schema, string? Name) phi, (string? Schema, string? Name) other) =>
            other.Name is not null && string.Equals(phi.Name, other.Name, StringComparison.OrdinalIgnoreCase)
            && (phi.Schema is null || other.Schema is null || string.Equals(phi.Schema, other.Schema, StringComparison.OrdinalIgnoreCase));

        private List<(string? Schema, string? Name)>? _phiTables;

        /// <summary>Whether <paramref name="type"/> is a (non-owned) entity type or a collection of one: values of it are materialized entities.</summary>
        private bool IsEntityShaped(Type type) => EntityTypeOf(type) is not null;

        private bool IsPhi(IEntityType entityType) => runtime.GetModel(entityType) is not null;

        /// <summary>Whether <paramref name="type"/> is a PHI entity type or a collection of one.</summary>
        private bool IsPhiEntityShaped(Type type) => EntityTypeOf(type) is { } entityType && runtime.GetModel(entityType) is not null;

        /// <summary>The non-owned entity type <paramref name="type"/> is, or is a collection of; <see langword="null"/> otherwise.</summary>
        private IEntityType? EntityTypeOf(Type type)
        {
            var entityType = model.FindEntityType(type);
            if (entityType is null && type != typeof(string) && !IsGrouping(type)
                && (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>) ? type : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)))
                    is { } enumerable)
            {
                entityType = model.FindEntityType(enumerable.GetGenericArguments()[0]);
            }

            return entityType is { } found && !found.IsOwned() && HookSeesEveryPhiValue(found) ? found : null;
        }

        /// <summary>A GroupBy's group: its key is a value computed in SQL, not an entity.</summary>
        private static bool IsGrouping(Type type) =>
            (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IGrouping<,>))
            || type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IGrouping<,>));

        /// <summary>
        /// Whether each parameter of a projection's lambda stands for entities, or for values (anonymous types, transparent
        /// identifiers of <c>let</c> and <c>from … from</c>) built in an earlier projection from entities only.
        /// </summary>
        private bool ParametersCarryOnlyEntities(string name, MethodCallExpression call, LambdaExpression lambda)
        {
            for (var i = 0; i < lambda.Parameters.Count; i++)
            {
                if (IsEntityShaped(lambda.Parameters[i].Type))
                {
                    continue;
                }

                var source = (name, i) switch
                {
                    (_, 0) => call.Arguments[0],
                    (nameof(Queryable.Join) or nameof(Queryable.GroupJoin), 1) => call.Arguments[1],
                    _ => null, // the element of a SelectMany's collection that is not an entity, a Select's index
                };
                if (source is null || !CarriesOnlyEntities(source))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Whether the elements of <paramref name="source"/> carry no PHI value except inside entities.</summary>
        private bool CarriesOnlyEntities(Expression source)
        {
            if (source is not MethodCallExpression call || !IsQueryOperator(call.Method) || call.Arguments.Count == 0)
            {
                return IsEntityShaped(QueryableElementType(source.Type) ?? source.Type);
            }

            var name = call.Method.Name;
            if (PassThrough.Contains(name) || ShapePreserving.Contains(name))
            {
                return CarriesOnlyEntities(call.Arguments[0]);
            }

            var selector = name switch
            {
                nameof(Queryable.Select) when call.Arguments.Count == 2 => 1,
                nameof(Queryable.SelectMany) when call.Arguments.Count == 3 => 2,
                nameof(Queryable.Join) or nameof(Queryable.GroupJoin) when call.Arguments.Count == 5 => 4,
                _ => -1,
            };
            if (selector < 0 || Unquote(call.Arguments[selector]) is not { } lambda)
            {
                return IsEntityShaped(QueryableElementType(call.Type) ?? call.Type);
            }

            // An earlier projection that reads no PHI value itself (only entities, navigations, non-PHI values).
            var visitor = new PhiValueVisitor(runtime, model);
            return ReferenceEquals(visitor.Visit(lambda.Body), lambda.Body) && visitor.Complete && ParametersCarryOnlyEntities(name, call, lambda);
        }

        /// <summary>
        /// Whether nothing else in the query reads PHI past the read hook: no FromSql of a non-PHI entity type (its SQL may
        /// fill it with PHI columns) and no predicate or ordering with a subquery over PHI entities (whether a row comes
        /// back then says something about other rows, of other patients).
        /// </summary>
        private bool IsClean(Expression query)
        {
            var inspector = new QueryInspector(this);
            inspector.Visit(query);
            return !inspector.Dirty;
        }

        /// <summary>Operators that return elements of their source unchanged (filtered, ordered, paged).</summary>
        private static readonly HashSet<string> ShapePreserving = new(StringComparer.Ordinal)
        {
            nameof(Queryable.Where), nameof(Queryable.OrderBy), nameof(Queryable.OrderByDescending), nameof(Queryable.ThenBy),
            nameof(Queryable.ThenByDescending), nameof(Queryable.Distinct), nameof(Queryable.Reverse), nameof(Queryable.TakeWhile),
            nameof(Queryable.SkipWhile), nameof(Queryable.DefaultIfEmpty),
        };

        /// <summary>Operators whose lambdas decide which rows come back (or in which order).</summary>
        private static readonly HashSet<string> Predicates = new(StringComparer.Ordinal)
        {
            nameof(Queryable.Where), nameof(Queryable.OrderBy), nameof(Queryable.OrderByDescending), nameof(Queryable.ThenBy),
            nameof(Queryable.ThenByDescending), nameof(Queryable.TakeWhile), nameof(Queryable.SkipWhile), nameof(Queryable.First),
            nameof(Queryable.FirstOrDefault), nameof(Queryable.Single), nameof(Queryable.SingleOrDefault), nameof(Queryable.Last),
            nameof(Queryable.LastOrDefault),
        };

        /// <summary>Finds, in a whole query, what <see cref="IsClean"/> rules out.</summary>
        private sealed class QueryInspector(FinalProjectionRewriter owner) : ExpressionVisitor
        {
            public bool Dirty { get; private set; }

            public override Expression? Visit(Expression? node) => Dirty ? node : base.Visit(node);

            protected override Expression VisitExtension(Expression node)
            {
#pragma warning disable EF1001 // FromSqlQueryRootExpression is EF Core's (internal) root of a FromSql query.
                if (node is Microsoft.EntityFrameworkCore.Query.Internal.FromSqlQueryRootExpression fromSql && !owner.IsPhi(fromSql.EntityType))
#pragma warning restore EF1001
                {
                    Dirty = true;
                }

                return node;
            }

            protected override Expression VisitMethodCall(MethodCallExpression node)
            {
                if (IsQueryOperator(node.Method) && Predicates.Contains(node.Method.Name))
                {
                    for (var i = 1; i < node.Arguments.Count; i++)
                    {
                        if (Unquote(node.Arguments[i]) is { } lambda && new PhiSubqueryFinder(owner).Finds(lambda.Body))
                        {
                            Dirty = true;
                            return node;
                        }
                    }
                }

                return base.VisitMethodCall(node);
            }
        }

        /// <summary>Finds a subquery (a Queryable or Enumerable operator) whose source is PHI entities.</summary>
        private sealed class PhiSubqueryFinder(FinalProjectionRewriter owner) : ExpressionVisitor
        {
            private bool _found;

            public bool Finds(Expression expression)
            {
                Visit(expression);
                return _found;
            }

            public override Expression? Visit(Expression? node) => _found ? node : base.Visit(node);

            protected override Expression VisitMethodCall(MethodCallExpression node)
            {
                if ((node.Method.DeclaringType == typeof(Queryable) || node.Method.DeclaringType == typeof(Enumerable)) && node.Arguments.Count > 0
                    && owner.IsPhiEntityShaped(node.Arguments[0].Type))
                {
                    _found = true;
                    return node;
                }

                return base.VisitMethodCall(node);
            }
        }

        /// <summary>
        /// Finds, in a rewritten projection, something that makes EF Core materialize a PHI entity: a value read through
        /// <see cref="PhiProjection.Materialize{TEntity}"/>, or a PHI entity (or collection of them) returned as such — not
        /// one only compared (<c>v.Member == null</c>, translated to a key comparison in SQL), nor one built on the client.
        /// </summary>
        private sealed class PhiEntityFinder(FinalProjectionRewriter owner) : ExpressionVisitor
        {
            private bool _found;

            public bool Finds(Expression expression)
            {
                Visit(expression);
                return _found;
            }

            public override Expression? Visit(Expression? node)
            {
                if (_found || node is null)
                {
                    return node;
                }

                if (node is MethodCallExpression { Method.IsGenericMethod: true } call && call.Method.GetGenericMethodDefinition() == MaterializeMethod)
                {
                    _found = true;
                    return node;
                }

                if (node is BinaryExpression { NodeType: ExpressionType.Equal or ExpressionType.NotEqual } comparison
                    && (owner.IsPhiEntityShaped(comparison.Left.Type) || owner.IsPhiEntityShaped(comparison.Right.Type)))
                {
                    return node;
                }

                // An entity the query returns (a parameter, a navigation): EF Core materializes it. One built on the client
                // (new Visit { … }) is not materialized — only what its members read counts.
                if (node is ParameterExpression or MemberExpression && owner.IsPhiEntityShaped(node.Type))
                {
                    _found = true;
                    return node;
                }

                return base.Visit(node);
            }
        }

        private static bool IsQueryOperator(MethodInfo method) =>
            method.DeclaringType == typeof(Queryable) || method.DeclaringType == typeof(EntityFrameworkQueryableExtensions);

        private static LambdaExpression? Unquote(Expression expression) => expression switch
        {
            UnaryExpression { NodeType: ExpressionType.Quote, Operand: LambdaExpression lambda } => lambda,
            LambdaExpression lambda => lambda,
            _ => null,
        };

        private static MethodCallExpression Replace(MethodCallExpression call, int index, Expression argument)
        {
            if (ReferenceEquals(call.Arguments[index], argument))
            {
                return call;
            }

            var arguments = call.Arguments.ToArray();
            arguments[index] = argument;
            return call.Update(call.Object, arguments);
        }
    }

    /// <summary>
    /// Rewrites, inside a final projection, every read of a value from a PHI entity into a read from that entity
    /// materialized on the client; notes whether any PHI value is read in a way it cannot rewrite.
    /// </summary>
    private sealed class PhiValueVisitor(AuditRuntime runtime, IModel model) : ExpressionVisitor
    {
        private IModel Model => model;

        /// <summary>Gets whether every PHI value the projection reads passes through a materialized entity.</summary>
        public bool Complete { get; private set; } = true;

        protected override Expression VisitMember(MemberExpression node)
        {
            if (node.Expression is null || node.Member is not (PropertyInfo or FieldInfo))
            {
                return base.VisitMember(node);
            }

            // Walk down owned-type navigations (p.Home.Street → p) to the entity the value belongs to.
            var path = new List<MemberExpression> { node };
            var source = node.Expression;
            while (source is MemberExpression owned && model.FindEntityType(owned.Type) is { } ownedType && ownedType.IsOwned() && owned.Expression is not null)
            {
                path.Add(owned);
                source = owned.Expression;
            }

            if (model.FindEntityType(source.Type) is not { } entityType || entityType.IsOwned() || !IsPhi(entityType))
            {
                return base.VisitMember(node);
            }

            // A navigation to another entity (n.Patient) is not a value: the entity it leads to is handled on its own.
            if (path.Count == 1 && IsNavigationToEntity(entityType, node.Member.Name))
            {
                return base.VisitMember(node);
            }

            // Materialize(source) then the member path on the client, with null where a step is null (a missing optional
            // navigation or owned value), as the database's NULL propagation would have given.
            var visitedSource = Visit(source);
            var entity = Expression.Call(MaterializeMethod.MakeGenericMethod(source.Type), visitedSource);
            return NullSafePath(entity, path, node.Type);
        }

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            var declaring = node.Method.DeclaringType;
            if (declaring == typeof(Queryable) || declaring == typeof(Enumerable) || declaring == typeof(EF))
            {
                // A subquery, aggregate or EF.Property over PHI inside the projection: left to EF, recorded unattributed.
                if (ReferencesPhi(node))
                {
                    Complete = false;
                }

                return node;
            }

            return base.VisitMethodCall(node);
        }

        private static Expression NullSafePath(Expression entity, List<MemberExpression> path, Type resultType)
        {
            // path[^1] is the member read from the entity, path[0] the final member.
            Expression current = entity;
            var guards = new List<Expression> { entity };
            for (var i = path.Count - 1; i >= 0; i--)
            {
                current = Expression.MakeMemberAccess(current, path[i].Member);
                if (i > 0 && !current.Type.IsValueType)
                {
                    guards.Add(current);
                }
            }

            // guards hold the reference-typed steps before the last member; rebuild each from the entity on evaluation.
            Expression result = current;
            for (var g = guards.Count - 1; g >= 0; g--)
            {
                var guard = guards[g];
                var fallback = Expression.Default(resultType);
                result = Expression.Condition(Expression.Equal(guard, Expression.Constant(null, guard.Type)), fallback, result, resultType);
            }

            return result;
        }

        private bool IsPhi(IEntityType entityType) => runtime.GetModel(entityType) is not null;

        private static bool IsNavigationToEntity(IEntityType entityType, string member) =>
            entityType.FindNavigation(member) is { } navigation ? !navigation.TargetEntityType.IsOwned() : entityType.FindSkipNavigation(member) is not null;

        private bool ReferencesPhi(Expression expression)
        {
            var finder = new PhiTypeFinder(this);
            finder.Visit(expression);
            return finder.Found;
        }

        private sealed class PhiTypeFinder(PhiValueVisitor owner) : ExpressionVisitor
        {
            public bool Found { get; private set; }

            public override Expression? Visit(Expression? node)
            {
                if (Found || node is null)
                {
                    return node;
                }

                var type = node.Type;
                var element = type.IsGenericType && type.GetGenericArguments() is [var argument] ? argument : type;
                if (owner.Model.FindEntityType(type) is { } entityType && owner.IsPhi(entityType)
                    || owner.Model.FindEntityType(element) is { } elementType && owner.IsPhi(elementType))
                {
                    Found = true;
                    return node;
                }

                return base.Visit(node);
            }
        }
    }
}
