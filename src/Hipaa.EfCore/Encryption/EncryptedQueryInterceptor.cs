using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Hipaa.EfCore.Encryption;

/// <summary>
/// Rewrites equality on a searchable encrypted property (<c>p.Mrn == mrn</c>, <c>!=</c>, <c>Equals</c>) into equality
/// on its blind index, and refuses, with a <see cref="NotSupportedException"/>, every other use of an encrypted property
/// that the database would have to evaluate (Contains, StartsWith, ordering, ranges, ExecuteUpdate setters…), which on
/// ciphertext would silently return nothing. Projections (<c>Select</c>) are left alone: EF Core materializes the
/// entity and the value is decrypted.
/// </summary>
internal sealed class EncryptedQueryInterceptor : IQueryExpressionInterceptor
{
    public static EncryptedQueryInterceptor Instance { get; } = new();

    private static readonly MethodInfo PropertyMethod = typeof(EF).GetMethod(nameof(EF.Property))!;

    public Expression QueryCompilationStarting(Expression queryExpression, QueryExpressionEventData eventData)
    {
        return eventData.Context is { } context && HipaaContext.Encryption(context) is { } runtime
            ? new Rewriter(runtime, context.Model).Visit(queryExpression)
            : queryExpression;
    }

    private sealed class Rewriter(FieldEncryptionRuntime runtime, IModel model) : ExpressionVisitor
    {
        private bool _inPredicate;
        private string _operator = "the query";

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            var isQueryOperator = node.Method.DeclaringType is { } declaring
                && (declaring == typeof(Queryable) || declaring == typeof(Enumerable) || declaring.Namespace?.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal) == true);
            if (!isQueryOperator)
            {
                if (_inPredicate && node.Method.Name == nameof(object.Equals) && node.Object is not null && node.Arguments.Count == 1
                    && TryRewriteEquality(node.Object, node.Arguments[0], ExpressionType.Equal, out var rewritten))
                {
                    return rewritten;
                }

                return base.VisitMethodCall(node);
            }

            var (savedPredicate, savedOperator) = (_inPredicate, _operator);
            try
            {
                var instance = Visit(node.Object);
                var arguments = new Expression[node.Arguments.Count];
                for (var i = 0; i < arguments.Length; i++)
                {
                    // The source of an operator keeps the surrounding mode; its lambdas are predicates unless they project.
                    (_inPredicate, _operator) = i == 0 && node.Object is null
                        ? (savedPredicate, savedOperator)
                        : (!IsProjection(node.Method.Name, i, arguments.Length), node.Method.Name);
                    arguments[i] = Visit(node.Arguments[i]);
                }

                return node.Update(instance, arguments);
            }
            finally
            {
                (_inPredicate, _operator) = (savedPredicate, savedOperator);
            }
        }

        protected override Expression VisitBinary(BinaryExpression node)
        {
            if (_inPredicate && node.NodeType is ExpressionType.Equal or ExpressionType.NotEqual
                && (TryRewriteEquality(node.Left, node.Right, node.NodeType, out var rewritten)
                    || TryRewriteEquality(node.Right, node.Left, node.NodeType, out rewritten)))
            {
                return rewritten;
            }

            return base.VisitBinary(node);
        }

        protected override Expression VisitMember(MemberExpression node)
        {
            if (_inPredicate && Find(node) is { } found)
            {
                var (entity, property) = found;
                throw new NotSupportedException(
                    $"{entity.DisplayName}.{property.Name} is encrypted, so the database cannot evaluate it inside {_operator}. "
                    + (property.BlindIndex is null
                        ? "Mark it [Encrypted(Searchable = true)] to allow == and != against a value, or filter on another property."
                        : "Only == and != against a value (or null) can run on its blind index; Contains, StartsWith, ordering and ranges cannot.")
                    + " Filtering loaded rows in memory is the alternative.");
            }

            return base.VisitMember(node);
        }

        private bool TryRewriteEquality(Expression candidate, Expression other, ExpressionType comparison, out Expression rewritten)
        {
            rewritten = null!;
            var unwrapped = candidate is UnaryExpression { NodeType: ExpressionType.Convert } convert ? convert.Operand : candidate;
            if (unwrapped is not MemberExpression member || Find(member) is not { } found || found.Property.BlindIndex is not { } index)
            {
                return false;
            }

            if (ReferencesEncrypted(other))
            {
                return false;
            }

            if (other is ConstantExpression { Value: not null })
            {
                FieldEncryptionLog.ConstantComparedWithEncryptedProperty(runtime.Logger, found.Entity.DisplayName, found.Property.Name);
            }

            var indexType = index.ClrType;
            var shadow = Expression.Call(PropertyMethod.MakeGenericMethod(indexType), member.Expression!, Expression.Constant(index.Name));
            var value = other.Type == indexType ? other : Expression.Convert(other, indexType);
            rewritten = comparison == ExpressionType.Equal ? Expression.Equal(shadow, value) : Expression.NotEqual(shadow, value);
            return true;
        }

        private bool ReferencesEncrypted(Expression expression)
        {
            var finder = new EncryptedMemberFinder(this);
            finder.Visit(expression);
            return finder.Found;
        }

        private (EncryptedEntityModel Entity, EncryptedPropertyModel Property)? Find(MemberExpression member)
        {
            if (member.Member is not PropertyInfo || member.Expression is null)
            {
                return null;
            }

            var entityType = model.FindEntityType(member.Expression.Type);
            if (entityType is null || runtime.GetModel(entityType) is not { } entity)
            {
                return null;
            }

            return entity.FindProperty(member.Member.Name) is { } property ? (entity, property) : null;
        }

        private static bool IsProjection(string method, int argument, int count) => method switch
        {
            nameof(Queryable.Select) or nameof(Queryable.SelectMany) => true,
            nameof(Queryable.Join) or nameof(Queryable.GroupJoin) => argument == count - 1,
            nameof(Queryable.Zip) => true,
            "Include" or "ThenInclude" => true,
            _ => false,
        };

        private sealed class EncryptedMemberFinder(Rewriter owner) : ExpressionVisitor
        {
            public bool Found { get; private set; }

            protected override Expression VisitMember(MemberExpression node)
            {
                Found |= owner.Find(node) is not null;
                return base.VisitMember(node);
            }
        }
    }
}
