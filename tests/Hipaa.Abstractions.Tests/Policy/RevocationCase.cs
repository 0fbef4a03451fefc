using Hipaa.Policy;

namespace Hipaa.Tests.Policy;

/// <summary>A request and the same request with one consent revoked or expired.</summary>
public sealed record RevocationCase(AccessRequest Request, AccessRequest Narrowed)
{
    public override string ToString() => $"before: {Requests.Describe(Request)}{Environment.NewLine}after: {Requests.Describe(Narrowed)}";
}
