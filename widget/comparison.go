package widget

import (
	"github.com/ehforge/forgefit/widget/content"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// comparison renders the topics x models table.
type comparison struct {
	app.Compo

	IComparison content.Comparison
}

func newComparison() *comparison { return &comparison{} }

// Comparison sets the table's content.
func (c *comparison) Comparison(v content.Comparison) *comparison {
	c.IComparison = v
	return c
}

func (c *comparison) Render() app.UI {
	cmp := c.IComparison
	return app.Table().Class("ff-comparison").Body(
		app.Caption().Text(cmp.Caption),
		app.THead().Body(
			app.Tr().Body(
				app.Th().Scope("col").Text(cmp.TopicHeading),
				app.Range(cmp.Models).Slice(func(i int) app.UI {
					return app.Th().Scope("col").Text(cmp.Models[i].Name)
				}),
			),
		),
		app.TBody().Body(
			app.Range(cmp.Topics).Slice(func(i int) app.UI {
				t := cmp.Topics[i]
				return app.Tr().Body(
					app.Th().Scope("row").Text(t.Label),
					app.Range(cmp.Models).Slice(func(j int) app.UI {
						return app.Td().Text(t.Cells[cmp.Models[j].ID])
					}),
				)
			}),
		),
	)
}
