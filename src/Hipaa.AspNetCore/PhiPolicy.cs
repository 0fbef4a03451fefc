using System.Diagnostics.CodeAnalysis;
using Hipaa.Policy;
using Microsoft.AspNetCore.Authorization;

namespace Hipaa.AspNetCore;

/// <summary>
/// Authorization policies for PHI endpoints: <c>app.MapGet(...).RequireAuthorization(PhiPolicy.For(DataCategory.ProgressNote, PhiAction.Read))</c>,
/// or by name, <c>.RequireAuthorization("phi:ProgressNote:Read")</c>, which <c>AddPhiAuthorization()</c> resolves for every
/// category and action. Each policy requires an authenticated user and a <see cref="PhiRequirement"/>.
/// </summary>
public static class PhiPolicy
{
    /// <summary>The prefix of PHI policy names: <c>phi:</c>.</summary>
    public const string Prefix = "phi:";

    /// <summary>The policy for an action on a data category.</summary>
    /// <param name="category">The data category.</param>
    /// <param name="action">The action.</param>
    /// <returns>A policy requiring an authenticated user and the <see cref="PhiRequirement"/>.</returns>
    /// <exception cref="ArgumentException">The category is empty or the wildcard.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The action is not defined.</exception>
    public static AuthorizationPolicy For(DataCategory category, PhiAction action) =>
        new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(new PhiRequirement(category, action)).Build();

    /// <summary>The policy name for an action on a data category: <c>phi:{Category}:{Action}</c>, e.g. <c>phi:ProgressNote:Read</c>.</summary>
    /// <param name="category">The data category.</param>
    /// <param name="action">The action.</param>
    /// <returns>The name.</returns>
    /// <exception cref="ArgumentException">The category is empty or the wildcard.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The action is not defined.</exception>
    public static string Name(DataCategory category, PhiAction action)
    {
        PhiResource.RequireRecordCategory(category, nameof(category));
        if (!Enum.IsDefined(action) || action == PhiAction.Reencrypt)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "The action is not one an HTTP request can ask for: use Read, Create, Update, Delete, Export or Disclose (Reencrypt is key maintenance, done by FieldEncryptionKeyManager).");
        }

        return Prefix + category.Name + ":" + action.ToString();
    }

    /// <summary>Parses a policy name of the form <c>phi:{Category}:{Action}</c>.</summary>
    internal static bool TryParse(string policyName, out DataCategory category, [NotNullWhen(true)] out PhiAction? action)
    {
        category = default;
        action = null;
        if (!policyName.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        int separator = policyName.LastIndexOf(':');
        if (separator <= Prefix.Length)
        {
            return false;
        }

        string categoryName = policyName[Prefix.Length..separator];
        PhiAction? parsed = policyName[(separator + 1)..] switch
        {
            nameof(PhiAction.Read) => PhiAction.Read,
            nameof(PhiAction.Create) => PhiAction.Create,
            nameof(PhiAction.Update) => PhiAction.Update,
            nameof(PhiAction.Delete) => PhiAction.Delete,
            nameof(PhiAction.Export) => PhiAction.Export,
            nameof(PhiAction.Disclose) => PhiAction.Disclose,
            _ => null,
        };
        if (parsed is null || string.IsNullOrWhiteSpace(categoryName) || categoryName == DataCategory.All.Name)
        {
            return false;
        }

        category = new DataCategory(categoryName);
        action = parsed;
        return true;
    }
}
