using System.Collections;
using System.Linq.Expressions;
using System.Reflection;
using Hipaa.EfCore.Auditing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace Hipaa.EfCore.Reading;

/// <summary>
/// The patients an aggregate over one PHI entity type is pinned to by its predicate: <c>Count(n =&gt; n.PatientId == id
/// &amp;&amp; …)</c>, <c>Where(n =&gt; ids.Contains(n.PatientId)).Sum(…)</c>, <c>Any(…)</c>. Every row the aggregate reads
/// belongs to one of them, so its read is recorded against each of them instead of unattributed. Found once per query
/// shape at compilation; the patient ids are the query's parameter values at each execution.
/// </summary>
internal sealed class PatientPin
{
    private static readonly HashSet<string> Aggregates = new(StringComparer.Ordinal)
    {
        nameof(Queryable.Count), nameof(Queryable.LongCount), nameof(Queryable.Any), nameof(Queryable.Sum),
        nameof(Queryable.Min), nameof(Queryable.Max), nameof(Queryable.Average),
    };

    private static readonly HashSet<string> Filters = new(StringComparer.Ordinal)
    {
        nameof(Queryable.Where), nameof(Queryable.OrderBy), nameof(Queryable.OrderByDescending), nameof(Queryable.ThenBy),
        nameof(Queryable.ThenByDescending), nameof(Queryable.Take), nameof(Queryable.Skip), "AsNoTracking", "AsTracking",
        "AsNoTrackingWithIdentityResolution", "TagWith", "TagWithCallSite", "IgnoreQueryFilters",
    };

    private readonly string? _parameter;
    private readonly object? _constant;

    private PatientPin(PhiEntityModel model, string? parameter, object? constant)
    {
        Model = model;
        _parameter = parameter;
        _constant = constant;
    }

    public PhiEntityModel Model { get; }

    /// <summary>The pin of <paramref name="query"/>, or <see langword="null"/> when its predicates pin no patient.</summary>
    public static PatientPin? Find(Expression query, AuditRuntime runtime, IModel model, DbContext context)
    {
        if (query is not MethodCallExpression { Method.DeclaringType: var declaring } root || declaring != typeof(Queryable) || !Aggregates.Contains(root.Method.Name))
        {
            return null;
        }

        var predicates = new List<LambdaExpression>();
        if (root.Method.Name is nameof(Queryable.Count) or nameof(Queryable.LongCount) or nameof(Queryable.Any) && root.Arguments.Count == 2 && Unquote(root.Arguments[1]) is { } own)
        {
            predicates.Add(own);
        }

        // Every lambda of the aggregate and its filters (predicates, selectors, ordering keys): a subquery over entities in
        // any of them reads rows the pin does not cover — other patients' rows of the same table, which the check of the
        // tables the SQL touches cannot tell apart.
        var lambdas = root.Arguments.Skip(1).Select(Unquote).OfType<LambdaExpression>().ToList();
        var source = root.Arguments[0];
        while (source is MethodCallExpression call && call.Arguments.Count > 0 && Filters.Contains(call.Method.Name)
            && (call.Method.DeclaringType == typeof(Queryable) || call.Method.DeclaringType == typeof(EntityFrameworkQueryableExtensions)))
        {
            if (call.Method.Name == nameof(Queryable.Where) && Unquote(call.Arguments[1]) is { } where)
            {
                predicates.Add(where);
            }

            lambdas.AddRange(call.Arguments.Skip(1).Select(Unquote).OfType<LambdaExpression>());
            source = call.Arguments[0];
        }

        if (lambdas.Exists(l => new SubqueryFinder(model).Finds(l.Body)))
        {
            return null;
        }

        // A navigation to another entity reads its row, which the pin does not cover: a patient's guardian is another
        // patient of the same table (Residents.Where(r => r.Id == child).Max(r => r.Guardian.Name) reads the guardian's).
        if (lambdas.Exists(l => new NavigationFinder(model).Finds(l.Body)))
        {
            return null;
        }

        // The source must be the entity set itself: a PHI entity type with a patient id.
        if (source is MethodCallExpression || !source.Type.IsGenericType || source.Type.GetGenericArguments() is not [var element]
            || model.FindEntityType(element) is not { } entityType || runtime.GetModel(entityType) is not { PatientId: { } patientId } phi)
        {
            return null;
        }

        if (!ComparedExactly(patientId, context))
        {
            return null;
        }

        foreach (var predicate in predicates)
        {
            if (predicate.Parameters is [var row] && FindPin(predicate.Body, row, patientId) is { } pin)
            {
                return new PatientPin(phi, pin.Parameter, pin.Constant);
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the database compares the patient id column as the policy compares patient ids (ordinally), so that
    /// <c>PatientId == "mrn-a"</c> reads only mrn-a's rows: always for non-text ids; for text, only without a collation of
    /// the column's or the model's own (SQLite's <c>NOCASE</c> matched <c>MRN-A</c>, another patient to the policy), a
    /// <c>citext</c> column, or SQL Server (whose default collations ignore case and trailing spaces).
    /// </summary>
    private static bool ComparedExactly(IProperty patientId, DbContext context)
    {
        var type = patientId.GetProviderClrType() ?? patientId.ClrType;
        if ((Nullable.GetUnderlyingType(type) ?? type) != typeof(string))
        {
            return true;
        }

        if (Storage.Dialects.DatabaseDialect.Find(context) is { ComparesTextOrdinally: false })
        {
            return false;
        }

        // Collations and column types are design-time metadata (the read-optimized model does not keep them); a compiled
        // model has none at run time, and then the comparison is not known to be exact.
        IModel designTime;
        try
        {
            designTime = context.GetService<IDesignTimeModel>().Model;
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        var property = designTime.FindEntityType(patientId.DeclaringType.Name)?.FindProperty(patientId.Name);
        return property is not null
            && property.GetCollation() is null
            && designTime.GetCollation() is null
            && !string.Equals(property.GetColumnType(), "citext", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The patient ids of one execution, formatted as audit records hold them.</summary>
    public IReadOnlyList<string> PatientIds(QueryContext queryContext)
    {
        var value = _parameter is null ? _constant : queryContext.Parameters.GetValueOrDefault(_parameter);
        return value switch
        {
            null => [],
            string or not IEnumerable => [Encryption.EncryptedEntityModel.FormatValue(value)],
            IEnumerable values => [.. values.Cast<object?>().Where(v => v is not null).Select(v => Encryption.EncryptedEntityModel.FormatValue(v!)).Distinct(StringComparer.Ordinal)],
        };
    }

    private static (string? Parameter, object? Constant)? FindPin(Expression body, ParameterExpression row, IProperty patientId)
    {
        switch (body)
        {
            case BinaryExpression { NodeType: ExpressionType.AndAlso } and:
                return FindPin(and.Left, row, patientId) ?? FindPin(and.Right, row, patientId);
            case BinaryExpression { NodeType: ExpressionType.Equal } equal:
                return IsPatientId(equal.Left, row, patientId) ? Value(equal.Right) : IsPatientId(equal.Right, row, patientId) ? Value(equal.Left) : null;
            case MethodCallExpression { Method.Name: nameof(Enumerable.Contains) } contains when contains.Method.DeclaringType != typeof(string):
                var (list, item) = contains.Object is null && contains.Arguments.Count == 2 ? (contains.Arguments[0], contains.Arguments[1])
                    : contains.Object is not null && contains.Arguments.Count == 1 ? (contains.Object, contains.Arguments[0])
                    : (null, null);

                // A list of ids, never a string: mine.Contains(n.PatientId) is a substring test in SQL ("mrn-10" contains
                // "mrn-1"), which reads rows of patients the pin would not name.
                return list is not null && StripConvert(list).Type != typeof(string) && IsPatientId(item!, row, patientId) ? Value(list) : null;
            default:
                return null;
        }
    }

    private static bool IsPatientId(Expression expression, ParameterExpression row, IProperty patientId)
    {
        expression = StripConvert(expression);
        return expression is MemberExpression { Member: PropertyInfo or FieldInfo, Expression: var owner } member
            && StripConvert(owner!) == row && member.Member.Name == patientId.Name;
    }

    private static (string? Parameter, object? Constant)? Value(Expression expression) => StripConvert(expression) switch
    {
        QueryParameterExpression parameter => (parameter.Name, null),
        ConstantExpression constant => (null, constant.Value),
        _ => null,
    };

    private static Expression StripConvert(Expression expression)
    {
        while (expression is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert)
        {
            expression = convert.Operand;
        }

        return expression;
    }

    /// <summary>Finds a subquery over entities: a Queryable or Enumerable operator whose source is an entity set or navigation.</summary>
    private sealed class SubqueryFinder(IModel model) : ExpressionVisitor
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
                && ElementType(node.Arguments[0].Type) is { } element && model.FindEntityType(element) is not null)
            {
                _found = true;
                return node;
            }

            return base.VisitMethodCall(node);
        }

        private static Type? ElementType(Type type) =>
            type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>) ? type.GetGenericArguments()[0]
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
    }

    /// <summary>
    /// Finds a navigation to another entity (a reference or collection navigation, <c>EF.Property</c> of one): a member
    /// whose type is an entity type that is not owned, or a sequence of them. Owned types are the owner's own row.
    /// </summary>
    private sealed class NavigationFinder(IModel model) : ExpressionVisitor
    {
        private bool _found;

        public bool Finds(Expression expression)
        {
            Visit(expression);
            return _found;
        }

        public override Expression? Visit(Expression? node) => _found ? node : base.Visit(node);

        protected override Expression VisitMember(MemberExpression node)
        {
            if (IsOtherEntity(node.Type))
            {
                _found = true;
                return node;
            }

            return base.VisitMember(node);
        }

        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (node.Method.DeclaringType == typeof(EF) && node.Method.Name == nameof(EF.Property) && IsOtherEntity(node.Type))
            {
                _found = true;
                return node;
            }

            return base.VisitMethodCall(node);
        }

        private bool IsOtherEntity(Type type)
        {
            var element = type == typeof(string) ? null
                : type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>) ? type.GetGenericArguments()[0]
                : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
            return IsUnowned(type) || (element is not null && IsUnowned(element));
        }

        private bool IsUnowned(Type type) => model.FindEntityType(type) is { } entityType && !entityType.IsOwned();
    }

    private static LambdaExpression? Unquote(Expression expression) => expression switch
    {
        UnaryExpression { NodeType: ExpressionType.Quote, Operand: LambdaExpression lambda } => lambda,
        LambdaExpression lambda => lambda,
        _ => null,
    };
}
