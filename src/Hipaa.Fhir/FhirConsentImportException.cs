namespace Hipaa.Fhir;

/// <summary>
/// A FHIR <c>Consent</c> that <see cref="FhirConsentMapper.FromFhir"/> cannot map to a <see cref="Hipaa.Policy.Consent"/>
/// without changing what it permits: a status, kind or provision it does not understand, or a missing patient. The
/// import refuses rather than drop a restriction (which would widen the consent) or guess.
/// </summary>
public sealed class FhirConsentImportException : Exception
{
    /// <summary>Initializes a new instance.</summary>
    public FhirConsentImportException()
        : this("The FHIR Consent cannot be imported.")
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">What could not be mapped and why.</param>
    public FhirConsentImportException(string message)
        : this(message, element: string.Empty)
    {
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">What could not be mapped and why.</param>
    /// <param name="innerException">The cause.</param>
    public FhirConsentImportException(string message, Exception innerException)
        : base(message, innerException)
    {
        Element = string.Empty;
    }

    /// <summary>Initializes a new instance.</summary>
    /// <param name="message">What could not be mapped and why.</param>
    /// <param name="element">The FHIR element at fault, as a path such as <c>Consent.provision.actor[0].role</c>.</param>
    public FhirConsentImportException(string message, string element)
        : base(message)
    {
        Element = element;
    }

    /// <summary>Gets the FHIR element at fault, as a path such as <c>Consent.provision.actor[0].role</c>; empty when not known.</summary>
    public string Element { get; }
}
