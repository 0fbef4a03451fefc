using System.Reflection;
using Hipaa.Policy;

namespace Hipaa.Tests.Policy;

public sealed class PolicyRuleTests
{
    [Fact]
    public void Rules_Ids_AreUniqueAndStableInShape()
    {
        IReadOnlyList<PolicyRule> rules = PolicyEngine.Rules;

        Assert.Equal(rules.Count, rules.Select(r => r.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.All(rules, rule => Assert.Matches(@"^[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$", rule.Id));
    }

    [Fact]
    public void Rules_EachRule_HasACitationAndOneSentence()
    {
        Assert.All(PolicyEngine.Rules, rule =>
        {
            Assert.Matches(@"(45|42) CFR|deny by default|role catalog", rule.Citation);
            Assert.EndsWith(".", rule.Explanation, StringComparison.Ordinal);
            Assert.DoesNotContain(". ", rule.Explanation.TrimEnd('.'), StringComparison.Ordinal);
            Assert.Equal($"{rule.Id}: {rule.Explanation}", rule.ToString());
        });
    }

    [Fact]
    public void Rules_EveryObligation_HasItsRule()
    {
        foreach (Obligation obligation in Enum.GetValues<Obligation>())
        {
            Assert.StartsWith("obligation.", PolicyRules.ForObligation(obligation).Id, StringComparison.Ordinal);
        }

        Assert.Equal(Enum.GetValues<Obligation>().Length, Enum.GetValues<Obligation>().Select(PolicyRules.ForObligation).Distinct().Count());
    }

    [Fact]
    public void Documentation_PolicyPage_ListsEveryRuleWithItsCitation()
    {
        string page = File.ReadAllText(Path.Combine(FindRepositoryRoot(), "docs", "policy.md"));

        Assert.All(PolicyEngine.Rules, rule =>
        {
            Assert.Contains($"`{rule.Id}`", page, StringComparison.Ordinal);
            Assert.Contains(rule.Citation, page, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void PolicyNamespace_NonPublicClasses_AreSealedOrStatic()
    {
        Type[] internals = [.. typeof(PolicyEngine).Assembly.GetTypes()
            .Where(t => t.Namespace == "Hipaa.Policy" && t.IsClass && !t.IsPublic && !t.IsNestedPublic && !t.Name.StartsWith('<'))];

        Assert.NotEmpty(internals);
        Assert.All(internals, t => Assert.True(t.IsSealed || (t.IsAbstract && t.IsSealed), $"{t.FullName} is not sealed"));
    }

    [Fact]
    public void PolicyNamespace_PublicClasses_AreSealedOrStatic()
    {
        Type[] publics = [.. typeof(PolicyEngine).Assembly.GetExportedTypes().Where(t => t.Namespace == "Hipaa.Policy" && t.IsClass)];

        Assert.All(publics, t => Assert.True(t.IsSealed, $"{t.FullName} is not sealed"));
        Assert.DoesNotContain(publics, t => t.GetConstructors(BindingFlags.Public | BindingFlags.Instance).Length > 0 && t == typeof(PolicyRule));
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Hipaa.Sdk.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Hipaa.Sdk.sln above {AppContext.BaseDirectory}; run the tests from the repository.");
    }
}
