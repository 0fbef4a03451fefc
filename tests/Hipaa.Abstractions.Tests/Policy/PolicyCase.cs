using Hipaa.Policy;

namespace Hipaa.Tests.Policy;

/// <summary>A generated request; its ToString describes it so that a counterexample is readable.</summary>
public sealed record PolicyCase(AccessRequest Request)
{
    public override string ToString() => Requests.Describe(Request);
}
