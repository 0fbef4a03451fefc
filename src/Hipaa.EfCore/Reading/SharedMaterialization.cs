using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// One materialization per PHI source per row. After <see cref="ProjectionAttributionInterceptor"/> rewrote a final
/// projection, each PHI value reads <c>Materialize(source).Member</c> — and EF Core materializes a new entity for every
/// such call: a DTO of five fields of one entity (each read guarded against null) built fifteen entities per row, each
/// through the read hook. This turns the body into <c>Project(Materialize(s₁), …, v₁, …, projector)</c>: each distinct
/// source once, every other value the body takes from the row (a column of a non-PHI entity, a query parameter) as an
/// argument EF Core still translates, and the body itself compiled into the projector (<see cref="ProjectorRegistry"/>),
/// which runs on the client.
/// Bodies it cannot move to the client as they are — a subquery, an <c>EF.Functions</c> call or a mapped database
/// function, more than <see cref="PhiProjection.MaxProjectedValues"/> values — are left as they were (correct, only slower).
/// </summary>
internal static class SharedMaterialization
{
    private static readonly MethodInfo MaterializeMethod = typeof(PhiProjection).GetMethod(nameof(PhiProjection.Materialize))!;
    private static readonly MethodInfo ProjectorMethod = typeof(PhiProjection).GetMethod(nameof(PhiProjection.Projector))!;

    /// <summary>The body sharing one materialization per source, or <see langword="null"/> when it cannot be moved to the client.</summary>
    public static Expression? TryShare(Expression body, IReadOnlyCollection<ParameterExpression> row, IModel model)
    {
        var hoister = new Hoister(row, model);
        var projected = hoister.Visit(body);
        if (hoister.Failed || hoister.Values.Count == 0 || hoister.Values.Count > PhiProjection.MaxProjectedValues || !hoister.SawMaterialize)
        {
            return null;
        }

        var projector = Expression.Lambda(projected!, hoister.Parameters);
        Type[] types = [.. hoister.Values.Select(v => v.Type), body.Type];
        var method = PhiProjection.ProjectMethod(hoister.Values.Count).MakeGenericMethod(types);
        var fetch = Expression.Call(ProjectorMethod.MakeGenericMethod(projector.Type), Expression.Constant(ProjectorRegistry.Register(projector)));
        return Expression.Call(method, [.. hoister.Values, fetch]);
    }

    private sealed class Hoister(IReadOnlyCollection<ParameterExpression> row, IModel model) : ExpressionVisitor
    {
        private readonly Dictionary<Expression, ParameterExpression> _known = new(ExpressionEqualityComparer.Instance);
        private readonly HashSet<ParameterExpression> _inner = [];

        public List<Expression> Values { get; } = [];

        public List<ParameterExpression> Parameters { get; } = [];

        public bool Failed { get; private set; }

        public bool SawMaterialize { get; private set; }

        public override Expression? Visit(Expression? node)
        {
            if (node is null || Failed)
            {
                return node;
            }

            if (node is MethodCallExpression { Method.IsGenericMethod: true } call && call.Method.GetGenericMethodDefinition() == MaterializeMethod)
            {
                SawMaterialize = true;
                return Hoist(node);
            }

            // A comparison of entities (v.Member != null, a.Member == b.Member) is a key comparison EF Core runs in SQL:
            // hoisted whole, as one value. Hoisting its operands instead would have EF Core materialize each entity on the
            // client — through the read hook, so recorded as read (and decided by policy) though none of its values is returned.
            if (node is BinaryExpression { NodeType: ExpressionType.Equal or ExpressionType.NotEqual } comparison
                && (model.FindEntityType(comparison.Left.Type) is not null || model.FindEntityType(comparison.Right.Type) is not null)
                && IsSqlOperand(comparison.Left) && IsSqlOperand(comparison.Right))
            {
                return Hoist(node);
            }

            // A value EF Core must compute from the row or the query's parameters: a row parameter, a chain of members
            // on one (a column, a navigation's column), an extracted query parameter (an extension node).
            if (IsRowValue(node))
            {
                return Hoist(node);
            }

            return base.Visit(node);
        }

        protected override Expression VisitLambda<T>(Expression<T> node)
        {
            foreach (var parameter in node.Parameters)
            {
                _inner.Add(parameter);
            }

            return base.VisitLambda(node);
        }

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            var declaring = node.Method.DeclaringType;
            if (declaring == typeof(Queryable) || declaring == typeof(EF) || declaring == typeof(DbFunctionsExtensions)
                || declaring == typeof(RelationalQueryableExtensions) || declaring == typeof(EntityFrameworkQueryableExtensions)
                || (declaring == typeof(Enumerable) && References(node))
                || model.FindDbFunction(node.Method) is not null
                || node.Method.DeclaringType?.Namespace?.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal) == true)
            {
                // Translated by EF Core, or a subquery over the row: it cannot run inside the client projector.
                Failed = true;
                return node;
            }

            return base.VisitMethodCall(node);
        }

        protected override Expression VisitExtension(Expression node)
        {
            Failed = true; // an EF Core node that is not a plain value (handled in Visit): leave the body as it was
            return node;
        }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            if (!_inner.Contains(node))
            {
                Failed = true; // a parameter that is neither the row's nor a lambda's of the body: unknown, leave it to EF
            }

            return node;
        }

        private bool IsRowValue(Expression node)
        {
            var current = node;
            while (current is MemberExpression { Expression: { } inner })
            {
                current = inner;
            }

            return current switch
            {
                ParameterExpression parameter => row.Contains(parameter),
                QueryParameterExpression => true,
                _ => false,
            };
        }

        /// <summary>An operand EF Core translates on its own: a value of the row, a query parameter or a constant.</summary>
        private bool IsSqlOperand(Expression node)
        {
            while (node is UnaryExpression { NodeType: ExpressionType.Convert } convert)
            {
                node = convert.Operand;
            }

            return node is ConstantExpression || IsRowValue(node);
        }

        private bool References(Expression node)
        {
            var finder = new RowReferenceFinder(row);
            finder.Visit(node);
            return finder.Found;
        }

        private ParameterExpression Hoist(Expression node)
        {
            if (!_known.TryGetValue(node, out var parameter))
            {
                parameter = Expression.Parameter(node.Type, "v" + Values.Count);
                _known.Add(node, parameter);
                Values.Add(node);
                Parameters.Add(parameter);
            }

            return parameter;
        }
    }

    private sealed class RowReferenceFinder(IReadOnlyCollection<ParameterExpression> row) : ExpressionVisitor
    {
        public bool Found { get; private set; }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            Found |= row.Contains(node);
            return node;
        }

        protected override Expression VisitExtension(Expression node)
        {
            Found = true;
            return node;
        }
    }
}
