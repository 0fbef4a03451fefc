namespace Hipaa;

/// <summary>
/// Marks the property that holds the unique user id of a record's author. The policy engine needs it for psychotherapy
/// and SUD counseling notes, which their author may use without further authorization (45 CFR 164.508(a)(2)).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class AuthorIdAttribute : Attribute
{
}
