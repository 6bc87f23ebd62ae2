/**
 * Salesforce's coded column values and what they mean, from the Event Log File object reference
 * and the code tables Elastic's Salesforce integration decodes. A code missing from a table is
 * kept as written and simply gets no decoded name.
 */

/** API_TYPE: which API a request or login used. */
const API_TYPE: Record<string, string> = {
  D: "Apex Class",
  E: "SOAP Enterprise",
  I: "SOAP Cross Instance",
  M: "SOAP Metadata",
  O: "Old SOAP",
  P: "SOAP Partner",
  S: "SOAP Apex",
  T: "SOAP Tooling",
  X: "XmlRPC",
  f: "Feed",
  l: "Live Agent",
  p: "SOAP ClientSync",
};

/** REQUEST_STATUS, common to most event types. */
const REQUEST_STATUS: Record<string, string> = {
  S: "Success",
  F: "Failure",
  U: "Undefined",
  A: "Authorization Error",
  R: "Redirect",
  N: "Not Found",
};

/** SESSION_TYPE (Logout). */
const SESSION_TYPE: Record<string, string> = {
  A: "API",
  I: "APIOnlyUser",
  N: "ChatterNetworks",
  Z: "ChatterNetworksAPIOnly",
  C: "Content",
  P: "OauthApprovalUI",
  O: "Oauth2",
  T: "SiteStudio",
  R: "SitePreview",
  S: "SubstituteUser",
  B: "TempContentExchange",
  G: "TempOauthAccessTokenFrontdoor",
  Y: "TempVisualforceExchange",
  F: "TempUIFrontdoor",
  U: "UI",
  E: "UserSite",
  V: "Visualforce",
  W: "WDC_API",
};

/** SESSION_LEVEL (Logout). Sources disagree on the high-assurance code (2 or 10): both are decoded. */
const SESSION_LEVEL: Record<string, string> = {
  "1": "Standard Session",
  "2": "High-Assurance Session",
  "10": "High-Assurance Session",
};

/** PLATFORM_TYPE (Logout): the client's operating system. */
const PLATFORM_TYPE: Record<string, string> = {
  "1000": "Windows",
  "1008": "Windows 2003",
  "1013": "Windows 8.1",
  "1015": "Windows 10",
  "2003": "Macintosh/Apple OSX",
  "4000": "Linux",
  "5005": "Android",
  "5006": "iPhone",
  "5007": "iPad",
  "5200": "Android 10.0",
};

/** APP_TYPE (Logout). */
const APP_TYPE: Record<string, string> = {
  "1000": "Application",
  "1007": "SFDC Application",
  "1014": "Chat",
  "2501": "CTI",
  "2514": "OAuth",
  "3475": "SFDC Partner Portal",
};

/** USER_TYPE as one-letter code (Logout, LightningPageView); Login writes words such as "Standard". */
const USER_TYPE: Record<string, string> = {
  A: "Automated Process",
  b: "High Volume Portal",
  C: "Customer Portal User",
  D: "External Who",
  F: "Self-Service",
  G: "Guest",
  L: "Package License Manager",
  N: "Salesforce to Salesforce",
  n: "CSN Only",
  O: "Power Custom",
  o: "Custom",
  P: "Partner",
  p: "Customer Portal Manager",
  S: "Standard",
  X: "Salesforce Administrator",
};

/** LOGIN_TYPE (Login): how the user authenticated. */
const LOGIN_TYPE: Record<string, string> = {
  "7": "AppExchange",
  A: "Application",
  s: "Certificate-based login",
  k: "Communities External User",
  n: "Communities External User Third Party SSO",
  x: "Cross Tenant",
  r: "Employee Login to Community",
  z: "Lightning Login",
  l: "Networks Portal API Only",
  "6": "Remote Access Client",
  i: "Remote Access 2.0",
  I: "Other Apex API",
  R: "Partner Product",
  w: "Passwordless Login",
  "3": "Customer Service Portal",
  q: "Partner Portal Third-Party SSO",
  "9": "Partner Portal",
  "5": "SAML Idp Initiated SSO",
  m: "SAML Chatter Communities External User SSO",
  b: "SAML Customer Service Portal SSO",
  c: "SAML Partner Portal SSO",
  h: "SAML Site SSO",
  "8": "SAML Sfdc Initiated SSO",
  E: "SelfService",
  j: "Third Party SSO",
};

/** USER_AGENT numeric client codes (API, RestApi, LightningPageView): the first three digits name the browser family. */
const USER_AGENT_FAMILY: Record<string, string> = {
  "100": "Internet Explorer",
  "110": "Firefox",
  "130": "Chrome",
  "140": "Safari",
  "150": "Opera",
  "160": "Android",
  "170": "Netscape",
  "180": "Webkit",
  "190": "Gecko",
  "230": "Blackberry",
  "240": "Good Access",
  "999": "Unknown",
};

export type Decoder = (code: string) => string | undefined;

function table(codes: Record<string, string>): Decoder {
  return (code) => (Object.hasOwn(codes, code) ? codes[code] : undefined);
}

/** Coded columns, by column name: the decoded name lands beside the code, in `<field>_name`. */
export const CODED_COLUMNS: Readonly<Record<string, Decoder>> = {
  API_TYPE: table(API_TYPE),
  REQUEST_STATUS: table(REQUEST_STATUS),
  SESSION_TYPE: table(SESSION_TYPE),
  SESSION_LEVEL: table(SESSION_LEVEL),
  PLATFORM_TYPE: table(PLATFORM_TYPE),
  APP_TYPE: table(APP_TYPE),
  USER_TYPE: table(USER_TYPE),
  LOGIN_TYPE: table(LOGIN_TYPE),
  USER_AGENT: (code) => (/^\d{3}/.test(code) ? table(USER_AGENT_FAMILY)(code.slice(0, 3)) : undefined),
};
