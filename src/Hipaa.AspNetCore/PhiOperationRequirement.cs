using Hipaa.Policy;
using Microsoft.AspNetCore.Authorization;

namespace Hipaa.AspNetCore;

/// <summary>
/// The action of a resource-based PHI check: <c>authorizationService.AuthorizeAsync(user, phiResource, PhiOperations.Read)</c>.
/// The <see cref="PhiResource"/> says which record; this says what the user wants to do with it.
/// </summary>
public sealed class PhiOperationRequirement : IAuthorizationRequirement
{
    /// <summary>Creates the requirement; the instances of <see cref="PhiOperations"/> serve most uses.</summary>
    /// <param name="action">The action.</param>
    /// <exception cref="ArgumentOutOfRangeException">The action is not defined.</exception>
    public PhiOperationRequirement(PhiAction action)
    {
        if (!Enum.IsDefined(action) || action == PhiAction.Reencrypt)
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, "The action is not one an HTTP request can ask for: use Read, Create, Update, Delete, Export or Disclose (Reencrypt is key maintenance, done by FieldEncryptionKeyManager).");
        }

        Action = action;
    }

    /// <summary>The action.</summary>
    public PhiAction Action { get; }

    /// <summary>The action's name.</summary>
    public override string ToString() => Action.ToString();
}
