package control

// Console sign-in records: CloudTrail logs ConsoleLogin from
// signin.amazonaws.com as an AwsConsoleSignIn event. A failed sign-in has no
// errorCode: errorMessage says why and responseElements.ConsoleLogin is
// "Failure". MFAUsed is in additionalEventData, on failures too.

const browser = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"

type signinResponse struct {
	ConsoleLogin string `json:"ConsoleLogin"`
}

type signinData struct {
	LoginTo       string `json:"LoginTo,omitempty"`
	MobileVersion string `json:"MobileVersion"`
	MFAUsed       string `json:"MFAUsed"`
	MFAType       string `json:"MfaType,omitempty"`
}

// signin is one ConsoleLogin record. who is the IAM user, root or a
// federated role session; failure is "" for a successful sign-in.
func signin(who Caller, mfa, failure string) Record {
	id := who.identity
	id.AccessKeyID = ""
	if who.Label != CallerAssumedRole {
		// Only a federated sign-in (a role session the identity provider
		// made) has a session context.
		id.SessionContext = nil
	}
	data := signinData{LoginTo: "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true", MobileVersion: "No", MFAUsed: mfa}
	if mfa == "Yes" {
		data.MFAType = "Virtual"
	}
	r := ctRecord{
		EventVersion: "1.08", UserIdentity: id, EventTime: "2024-05-01T12:00:00Z",
		EventSource: "signin.amazonaws.com", EventName: "ConsoleLogin", AWSRegion: region,
		SourceIPAddress: "198.51.100.7", UserAgent: browser,
		ResponseElements: signinResponse{ConsoleLogin: "Success"}, AdditionalEventData: data,
		EventID: "0f4e7c2a-0000-4000-8000-000000000004", EventType: "AwsConsoleSignIn",
		ManagementEvent: true, RecipientAccountID: account, EventCategory: "Management",
		TLSDetails: &tlsDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: "signin.aws.amazon.com"},
	}
	if failure != "" {
		r.ErrorMessage = failure
		r.ResponseElements = signinResponse{ConsoleLogin: "Failure"}
		if failure == "No username found in supplied account" {
			r.UserIdentity = ctIdentity{Type: "IAMUser", AccountID: account, UserName: "HIDDEN_DUE_TO_SECURITY_REASONS"}
		}
	}
	return Record{Event: "ConsoleLogin", Caller: who.Label, Failed: failure != "", Message: marshal(r)}
}

// kind is r marked as what it is to its control.
func kind(r Record, k Kind) Record {
	r.Kind = k
	return r
}
