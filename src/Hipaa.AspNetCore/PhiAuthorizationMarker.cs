namespace Hipaa.AspNetCore;

/// <summary>Marks the services as holding PHI authorization, so that a second <c>AddPhiAuthorization()</c> decorates nothing twice.</summary>
internal sealed class PhiAuthorizationMarker;
