using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Binds blind-index search results to their rows (issue 9, finding 5). A blind index equals for equal values, so it
/// cannot be bound to its row, and someone with write access to the database can move one (swap two rows' indexes, copy
/// one, clear one): the database then finds the wrong row. This interceptor runs after the other query interceptors, finds
/// the comparisons <see cref="EncryptedQueryInterceptor"/> turned into blind-index comparisons, and
/// <list type="bullet">
/// <item>for a query that returns rows (entities or any projection, through <c>First</c>, <c>Single</c>, … too), whose
/// comparisons are in the query's own <c>Where</c> (or terminal predicate) — joined by <c>&amp;&amp;</c> with other
/// conditions, or combined only with each other by <c>||</c> and <c>!</c> — wraps the final projection in
/// <see cref="BlindIndexFilter.Verified"/>, which decrypts each compared value from the row's own ciphertext and refuses
/// the query (<see cref="Hipaa.Encryption.FieldDecryptionFailure.IndexMismatch"/>) if a row does not satisfy them;</item>
/// <item>leaves counts and existence tests (<c>Count</c>, <c>LongCount</c>, <c>Any</c>, <c>All</c>, <c>Contains</c>)
/// unchecked: they return no row;</item>
/// <item>refuses, with a <see cref="NotSupportedException"/> that says what to do instead, <c>ExecuteDelete</c> and
/// <c>ExecuteUpdate</c> filtered by a blind index (the database would act before anything could check) and every other
/// shape whose rows cannot be checked (a comparison in a subquery, a join, after a <c>GroupBy</c>, mixed by <c>||</c>
/// with a condition on another column, under <c>Min</c>/<c>Max</c>/<c>Sum</c>, …).</item>
/// </list>
/// </summary>
internal sealed class BlindIndexVerificationInterceptor : IQueryExpressionInterceptor
{
    private static readonly MethodInfo PropertyMethod = typeof(EF).GetMethod(nameof(EF.Property))!;
    private static readonly MethodInfo VerifiedMethod = typeof(BlindIndexFilter).GetMethod(nameof(BlindIndexFilter.Verified))!;
    private static readonly MethodInfo WhereMethod = typeof(Queryable).GetMethods()
        .Single(m => m.Name == nameof(Queryable.Where) && m.GetParameters()[1].ParameterType.GetGenericArguments()[0].GetGenericArguments().Length == 2);

    private static readonly MethodInfo SelectMethod = typeof(Queryable).GetMethods()
        .Single(m => m.Name == nameof(Queryable.Select) && m.GetParameters()[1].ParameterType.GetGenericArguments()[0].GetGenericArguments().Length == 2);

    /// <summary>Terminal operators that return no row: counts and existence tests.</summary>
    private static readonly HashSet<string> Aggregates = new(StringComparer.Ordinal)
    {
        nameof(Queryable.Count), nameof(Queryable.LongCount), nameof(Queryable.Any), nameof(Queryable.All), nameof(Queryable.Contains),
    };

    /// <summary>Terminal operators that return one row of the sequence.</summary>
    private static readonly HashSet<string> ElementOperators = new(StringComparer.Ordinal)
    {
        nameof(Queryable.First), nameof(Queryable.FirstOrDefault), nameof(Queryable.Single), nameof(Queryable.SingleOrDefault),
        nameof(Queryable.Last), nameof(Queryable.LastOrDefault), nameof(Queryable.ElementAt), nameof(Queryable.ElementAtOrDefault),
    };

    /// <summary>Operators above the final projection that EF Core applies without reading the projection.</summary>
    private static readonly HashSet<string> PassThrough = new(StringComparer.Ordinal)
    {
        nameof(Queryable.Take), nameof(Queryable.Skip),
        "AsNoTracking", "AsTracking", "AsNoTrackingWithIdentityResolution", "AsSplitQuery", "AsSingleQuery",
        "TagWith", "TagWithCallSite", "IgnoreQueryFilters", "IgnoreAutoIncludes",
    };

    /// <summary>Operators that keep the rows' type (and so the rows a Where below them found).</summary>
    private static readonly HashSet<string> ElementPreserving = new(PassThrough, StringComparer.Ordinal)
    {
        nameof(Queryable.Where), nameof(Queryable.OrderBy), nameof(Queryable.OrderByDescending), nameof(Queryable.ThenBy),
        nameof(Queryable.ThenByDescending), nameof(Queryable.Distinct), nameof(Queryable.Reverse), "Include", "ThenInclude",
    };

    public static BlindIndexVerificationInterceptor Instance { get; } = new();

    public Expression QueryCompilationStarting(Expression queryExpression, QueryExpressionEventData eventData)
    {
        if (eventData.Context is not { } context || HipaaContext.Encryption(context) is not { } runtime)
        {
            return queryExpression;
        }

        var finder = new ComparisonFinder(runtime, context.Model);
        finder.Visit(queryExpression);
        return finder.Found.Count == 0 ? queryExpression : new Planner(runtime, finder.Found).Plan(queryExpression);
    }

    private static bool IsOperator(MethodInfo method) =>
        method.DeclaringType == typeof(Queryable) || method.DeclaringType?.Namespace == "Microsoft.EntityFrameworkCore";

    private static LambdaExpression? Unquote(Expression expression) => expression switch
    {
        UnaryExpression { NodeType: ExpressionType.Quote, Operand: LambdaExpression lambda } => lambda,
        LambdaExpression lambda => lambda,
        _ => null,
    };

    private static Type? ElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IQueryable<>) ? type.GetGenericArguments()[0]
        : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IQueryable<>))?.GetGenericArguments()[0];

    /// <summary>One comparison of a blind index with a value, as <see cref="EncryptedQueryInterceptor"/> wrote it.</summary>
    private sealed record Comparison(BinaryExpression Node, Expression Entity, Expression Value, EncryptedEntityModel Model, EncryptedPropertyModel Property)
    {
        public string Name => Model.DisplayName + "." + Property.Name;
    }

    /// <summary>Finds every blind-index comparison, wherever it is (subqueries and nested lambdas included).</summary>
    private sealed class ComparisonFinder(FieldEncryptionRuntime runtime, IModel model) : ExpressionVisitor
    {
        public Dictionary<BinaryExpression, Comparison> Found { get; } = [];

        protected override Expression VisitBinary(BinaryExpression node)
        {
            if (node.NodeType is ExpressionType.Equal or ExpressionType.NotEqual
                && (Match(node, node.Left, node.Right) ?? Match(node, node.Right, node.Left)) is { } comparison)
            {
                Found[node] = comparison;
            }

            return base.VisitBinary(node);
        }

        private Comparison? Match(BinaryExpression node, Expression side, Expression value)
        {
            while (side is UnaryExpression { NodeType: ExpressionType.Convert } convert)
            {
                side = convert.Operand;
            }

            if (side is not MethodCallExpression { Method.IsGenericMethod: true } call
                || call.Method.GetGenericMethodDefinition() != PropertyMethod
                || call.Arguments[1] is not ConstantExpression { Value: string name }
                || !name.StartsWith(EncryptionAnnotations.BlindIndexPrefix, StringComparison.Ordinal)
                || model.FindEntityType(call.Arguments[0].Type) is not { } entityType
                || runtime.GetModel(entityType) is not { } entity)
            {
                return null;
            }

            var property = entity.Properties.FirstOrDefault(p => p.BlindIndex?.Name == name);
            return property is null ? null : new Comparison(node, call.Arguments[0], value, entity, property);
        }
    }

    /// <summary>Decides, for one query, where its comparisons are checked, or refuses it.</summary>
    private sealed class Planner(FieldEncryptionRuntime runtime, Dictionary<BinaryExpression, Comparison> comparisons)
    {
        private readonly HashSet<BinaryExpression> _covered = [];
        private readonly List<(Comparison Comparison, ParameterExpression Row)> _leaves = [];
        private readonly List<BlindIndexFilter.Condition> _conditions = [];

        public Expression Plan(Expression query)
        {
            if (query is not MethodCallExpression call || !IsOperator(call.Method) || call.Arguments.Count == 0)
            {
                throw Unverifiable(comparisons.Values.First());
            }

            var name = call.Method.Name;
            if (name.StartsWith("ExecuteDelete", StringComparison.Ordinal) || name.StartsWith("ExecuteUpdate", StringComparison.Ordinal))
            {
                var first = comparisons.Values.First();
                throw new NotSupportedException(
                    $"{name} filtered by {first.Name}, a searchable encrypted property, is refused: the database would act on the rows its blind index names before anything could check their decrypted values, so an index moved by someone with write access to the database would make it delete or change another patient's rows. Find the keys with a query first (Hipaa.Sdk checks every row it returns), then filter the statement by key: var ids = await db.Patients.Where(p => p.Mrn == mrn).Select(p => p.Id).ToListAsync(); await db.Patients.Where(p => ids.Contains(p.Id)).{name}Async(...). Run both in one transaction if the rows may change in between.");
            }

            if (Aggregates.Contains(name))
            {
                return query; // a count or an existence test returns no row (docs/encryption.md, "Equality search")
            }

            if (ElementOperators.Contains(name))
            {
                return PlanElement(call);
            }

            if (ElementType(query.Type) is not null)
            {
                return PlanSequence(query);
            }

            throw Unverifiable(comparisons.Values.First(), $"under {name}, which returns a value computed from the rows found, not the rows themselves");
        }

        /// <summary><c>First(source, predicate)</c> → <c>First(Select(Where(source, predicate), verified))</c>.</summary>
        private Expression PlanElement(MethodCallExpression call)
        {
            var source = call.Arguments[0];
            var arguments = call.Arguments.ToList();
            var predicateAt = arguments.FindIndex(1, a => Unquote(a) is not null);
            if (predicateAt > 0)
            {
                var element = ElementType(source.Type)!;
                source = Expression.Call(WhereMethod.MakeGenericMethod(element), source, arguments[predicateAt]);
                arguments.RemoveAt(predicateAt);
            }

            arguments[0] = PlanSequence(source);
            var types = arguments.Select(a => a.Type).ToArray();
            var method = typeof(Queryable).GetMethods()
                .Where(m => m.Name == call.Method.Name && m.GetParameters().Length == arguments.Count)
                .Select(m => m.MakeGenericMethod(call.Method.GetGenericArguments()))
                .Single(m => m.GetParameters().Skip(1).Select(p => p.ParameterType).SequenceEqual(types.Skip(1)));
            return Expression.Call(method, arguments);
        }

        private Expression PlanSequence(Expression sequence)
        {
            var chain = new List<MethodCallExpression>();
            for (var node = sequence; node is MethodCallExpression m && IsOperator(m.Method) && m.Arguments.Count > 0 && ElementType(m.Arguments[0].Type) is not null; node = m.Arguments[0])
            {
                chain.Add(m);
            }

            var i = 0;
            while (i < chain.Count && PassThrough.Contains(chain[i].Method.Name))
            {
                i++;
            }

            var projection = i < chain.Count && chain[i].Method.Name == nameof(Queryable.Select) && chain[i].Arguments.Count == 2
                && Unquote(chain[i].Arguments[1]) is { Parameters.Count: 1 } ? i++ : -1;
            for (; i < chain.Count && ElementPreserving.Contains(chain[i].Method.Name); i++)
            {
                if (chain[i].Method.Name == nameof(Queryable.Where) && Unquote(chain[i].Arguments[1]) is { Parameters.Count: 1 } predicate)
                {
                    foreach (var conjunct in Conjuncts(predicate.Body))
                    {
                        var leaves = new List<Comparison>();
                        if (Mentions(conjunct) && Build(conjunct, predicate.Parameters[0], leaves) is { } condition)
                        {
                            _conditions.Add(Offset(condition, _leaves.Count));
                            _leaves.AddRange(leaves.Select(c => (c, predicate.Parameters[0])));
                            _covered.UnionWith(leaves.Select(c => c.Node));
                        }
                    }
                }
            }

            if (comparisons.Values.FirstOrDefault(c => !_covered.Contains(c.Node)) is { } uncovered)
            {
                throw Unverifiable(uncovered);
            }

            if (projection < 0)
            {
                var element = ElementType(sequence.Type)!;
                var row = Expression.Parameter(element, "row");
                var verify = Expression.Lambda(Verify(row, row), row);
                return Expression.Call(SelectMethod.MakeGenericMethod(element, element), sequence, Expression.Quote(verify));
            }

            var select = chain[projection];
            var selector = Unquote(select.Arguments[1])!;
            Expression rebuilt = select.Update(null, [select.Arguments[0], Expression.Quote(Expression.Lambda(selector.Type, Verify(selector.Body, selector.Parameters[0]), selector.Parameters))]);
            for (var k = projection - 1; k >= 0; k--)
            {
                rebuilt = chain[k].Update(chain[k].Object, [rebuilt, .. chain[k].Arguments.Skip(1)]);
            }

            return rebuilt;
        }

        /// <summary><c>Verified(result, filter, new object[] { ciphertext, keys…, patient id, searched value, … })</c>, read from <paramref name="row"/>.</summary>
        private MethodCallExpression Verify(Expression result, ParameterExpression row)
        {
            var values = new List<Expression>();
            var leaves = new List<BlindIndexFilter.Leaf>();
            foreach (var (comparison, where) in _leaves)
            {
                var entity = new Rebase(where, row).Visit(comparison.Entity)!;
                var model = comparison.Model;
                var constant = Constant(comparison.Value);
                leaves.Add(new BlindIndexFilter.Leaf(model, comparison.Property, comparison.Node.NodeType == ExpressionType.Equal, values.Count, model.KeyProperties.Count, model.PatientId is not null, constant));
                values.Add(Read(entity, comparison.Property.Ciphertext));
                values.AddRange(model.KeyProperties.Select(k => Read(entity, k)));
                if (model.PatientId is { } patient)
                {
                    values.Add(Read(entity, patient));
                }

                if (constant is null)
                {
                    values.Add(Expression.Convert(comparison.Value, typeof(object))); // a parameter: EF Core prints its name only
                }
            }

            var filter = BlindIndexFilterRegistry.Register(runtime, new BlindIndexFilter(runtime, leaves, _conditions));
            return Expression.Call(
                VerifiedMethod.MakeGenericMethod(result.Type),
                result,
                Expression.Constant(filter),
                Expression.NewArrayInit(typeof(object), values));
        }

        private static UnaryExpression Read(Expression entity, IProperty property)
        {
            var type = property.ClrType.IsValueType && Nullable.GetUnderlyingType(property.ClrType) is null
                ? typeof(Nullable<>).MakeGenericType(property.ClrType) // null when the row is reached through a missing navigation
                : property.ClrType;
            return Expression.Convert(Expression.Call(PropertyMethod.MakeGenericMethod(type), entity, Expression.Constant(property.Name)), typeof(object));
        }

        /// <summary>The searched value when the query wrote a constant (null included), kept in the filter.</summary>
        private static BlindIndexFilter.ConcealedValue? Constant(Expression value)
        {
            while (value is UnaryExpression { NodeType: ExpressionType.Convert } convert)
            {
                value = convert.Operand;
            }

            return value is ConstantExpression constant ? new BlindIndexFilter.ConcealedValue(constant.Value) : null;
        }

        /// <summary>A condition made only of comparisons of <paramref name="row"/>'s blind indexes, or <see langword="null"/>.</summary>
        private BlindIndexFilter.Condition? Build(Expression node, ParameterExpression row, List<Comparison> leaves)
        {
            switch (node)
            {
                case BinaryExpression { NodeType: ExpressionType.AndAlso or ExpressionType.OrElse } logical:
                    var left = Build(logical.Left, row, leaves);
                    var right = left is null ? null : Build(logical.Right, row, leaves);
                    return right is null ? null
                        : logical.NodeType == ExpressionType.AndAlso ? new BlindIndexFilter.AndCondition(left!, right)
                        : new BlindIndexFilter.OrCondition(left!, right);
                case UnaryExpression { NodeType: ExpressionType.Not } not:
                    return Build(not.Operand, row, leaves) is { } operand ? new BlindIndexFilter.NotCondition(operand) : null;
                case BinaryExpression binary when comparisons.TryGetValue(binary, out var comparison)
                    && IsRootedAt(comparison.Entity, row) && !ParameterFinder.Uses(comparison.Value):
                    leaves.Add(comparison);
                    return new BlindIndexFilter.LeafCondition(leaves.Count - 1);
                default:
                    return null;
            }
        }

        /// <summary>The condition with its leaf numbers shifted by <paramref name="offset"/> (the leaves of earlier conditions).</summary>
        private static BlindIndexFilter.Condition Offset(BlindIndexFilter.Condition condition, int offset) => condition switch
        {
            BlindIndexFilter.LeafCondition leaf => new BlindIndexFilter.LeafCondition(leaf.FirstLeaf + offset),
            BlindIndexFilter.NotCondition not => new BlindIndexFilter.NotCondition(Offset(not.Operand, offset)),
            BlindIndexFilter.AndCondition and => new BlindIndexFilter.AndCondition(Offset(and.Left, offset), Offset(and.Right, offset)),
            BlindIndexFilter.OrCondition or => new BlindIndexFilter.OrCondition(Offset(or.Left, offset), Offset(or.Right, offset)),
            _ => throw new InvalidOperationException("Unknown condition."),
        };

        private bool Mentions(Expression node)
        {
            var finder = new NodeFinder(comparisons);
            finder.Visit(node);
            return finder.Found;
        }

        private static IEnumerable<Expression> Conjuncts(Expression body) =>
            body is BinaryExpression { NodeType: ExpressionType.AndAlso } and ? [.. Conjuncts(and.Left), .. Conjuncts(and.Right)] : [body];

        /// <summary>The row itself, or an entity reached from it through member accesses (reference navigations).</summary>
        private static bool IsRootedAt(Expression entity, ParameterExpression row)
        {
            while (entity is MemberExpression { Expression: { } inner })
            {
                entity = inner;
            }

            return entity == row;
        }

        private NotSupportedException Unverifiable(Comparison comparison, string? where = null) => new(
            $"{comparison.Name} is searched through its blind index {where ?? "where the rows found cannot each be checked against their decrypted values (inside a subquery, a join, an Include filter or after a GroupBy or SelectMany; or combined by || or ! with a condition on another column; or compared with a value that depends on the row)"}. "
            + "A blind index moved by someone with write access to the database would then return or act on the wrong row. "
            + $"Search {comparison.Name} in the query's own Where, joined by && to the other conditions (Hipaa.Sdk checks every row such a search returns), and use the keys it returns for the rest; split an || into one query per condition.");
    }

    /// <summary>Whether an expression uses a lambda parameter (the searched value must not depend on the row).</summary>
    private sealed class ParameterFinder : ExpressionVisitor
    {
        private bool _found;

        public static bool Uses(Expression expression)
        {
            var finder = new ParameterFinder();
            finder.Visit(expression);
            return finder._found;
        }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            _found = true;
            return node;
        }
    }

    private sealed class NodeFinder(Dictionary<BinaryExpression, Comparison> comparisons) : ExpressionVisitor
    {
        public bool Found { get; private set; }

        protected override Expression VisitBinary(BinaryExpression node)
        {
            Found |= comparisons.ContainsKey(node);
            return base.VisitBinary(node);
        }
    }

    /// <summary>Replaces the Where's parameter by the row of the final projection (the same rows: only element-preserving operators lie between).</summary>
    private sealed class Rebase(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
