// Package anonymize turns what a social worker wrote about a household into
// what the public may read: ScrubStory (and Scrub, ScrubPreview…) remove
// names, ages, ID and phone numbers, addresses, villages, schools,
// workplaces, plates and other identifying spans from free text; the
// k-anonymity projection (CoarsenRegion, Reproject) coarsens a need's place
// until enough needs share its cell; HiddenPlaceNames lists the place names
// a coarsened need must not show.
//
// It imports kernel and the standard library only; marketplace's needs
// service calls it when it builds a need's public projection.
package anonymize
