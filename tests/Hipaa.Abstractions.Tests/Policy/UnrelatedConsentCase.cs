using Hipaa.Policy;

namespace Hipaa.Tests.Policy;

/// <summary>A request and the same request with an unrelated consent added somewhere in the list.</summary>
public sealed record UnrelatedConsentCase(AccessRequest Request, AccessRequest WithUnrelated)
{
    public override string ToString() => $"before: {Requests.Describe(Request)}{Environment.NewLine}after: {Requests.Describe(WithUnrelated)}";
}
