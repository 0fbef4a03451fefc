using Hipaa.Policy;
using Microsoft.AspNetCore.Authorization;

namespace Hipaa.AspNetCore;

/// <summary>
/// The category-level requirement of a PHI endpoint: may the user take <see cref="Action"/> on records of
/// <see cref="Category"/>, for the request's purpose of use? Build policies with <see cref="PhiPolicy.For"/> or name them
/// <c>"phi:{Category}:{Action}"</c>.
/// </summary>
/// <remarks>
/// When the route carries the patient id (<see cref="PhiAuthorizationOptions.PatientIdRouteValue"/>) the decision is
/// made for that patient, care team included; otherwise for a patient the user treats. Labels and the author of a record
/// are not known at this level: for psychotherapy and SUD counseling notes the requirement is a gate that the author of
/// such a note would pass, and the endpoint must check the record itself with <see cref="PhiOperations"/> once loaded.
/// </remarks>
public sealed class PhiRequirement : IAuthorizationRequirement
{
    /// <summary>Creates the requirement.</summary>
    /// <param name="category">The data category.</param>
    /// <param name="action">The action.</param>
    /// <exception cref="ArgumentException">The category is empty or the wildcard <see cref="DataCategory.All"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The action is not defined.</exception>
    public PhiRequirement(DataCategory category, PhiAction action)
    {
        PhiResource.RequireRecordCategory(category, nameof(category));
        if (!Enum.IsDefined(action) || action == PhiAction.Reencrypt)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "The action is not one an HTTP request can ask for: use Read, Create, Update, Delete, Export or Disclose (Reencrypt is key maintenance, done by FieldEncryptionKeyManager).");
        }

        Category = category;
        Action = action;
    }

    /// <summary>The data category.</summary>
    public DataCategory Category { get; }

    /// <summary>The action.</summary>
    public PhiAction Action { get; }

    /// <summary>The policy name of this requirement, e.g. <c>phi:ProgressNote:Read</c>.</summary>
    public override string ToString() => PhiPolicy.Name(Category, Action);
}
