namespace CityContact.Telephony;
